package capture_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sakersec/saker/drivers"
	"github.com/sakersec/saker/sensor/capture"
	"github.com/sakersec/saker/sensor/event"
)

// The raw_tracepoint programs (the fallback where tp_btf is unavailable)
// capture the same events: run one action through a second driver forced
// to that mode. (SAKER_TEST_DRIVER_MODE=raw_tracepoint runs the whole
// suite on it.)
func TestRawTracepointMode(t *testing.T) {
	start(t) // the privilege gate, and a second driver attached alongside
	drv, rd := attachSecond(t, drivers.LoadOptions{Mode: drivers.ModeRawTracepoint,
		Types: []event.Type{event.TypeOpenat, event.TypeExecve, event.TypeProcExit}})
	if drv.Mode() != drivers.ModeRawTracepoint {
		t.Fatalf("mode %s", drv.Mode())
	}
	dir, env := tmpDir(t)
	_, evs := runOn(t, rd, "open", env)
	g := one(t, evs, event.TypeOpenat, func(g got) bool {
		return g.Args["name"] == filepath.Join(dir, "ro") && g.Args["flags"] == "O_RDONLY|O_CLOEXEC"
	})
	if g.Res < 0 || g.Ints["ino"] == 0 {
		t.Errorf("openat via raw tracepoints: res %d ino %d", g.Res, g.Ints["ino"])
	}
	one(t, evs, event.TypeExecve, func(g got) bool { return g.Res == 0 && g.Args["trusted_exepath"] != "" })
	if len(find(evs, event.TypeClose, nil)) != 0 {
		t.Error("close events captured although not in the interest set")
	}
}

// runOn runs a child action and returns its pid and the events rd delivers
// for it, up to its procexit.
func runOn(t *testing.T, rd *capture.Reader, action string, env ...string) (int64, []got) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+action), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := int64(cmd.Process.Pid)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	var evs []got
	deadline := time.AfterFunc(20*time.Second, func() { rd.Close() })
	defer deadline.Stop()
	var e event.Event
	for {
		if err := rd.ReadInto(&e); err != nil {
			t.Fatalf("no procexit for child %d: %v", pid, err)
		}
		if e.PID != pid && e.PPID != pid {
			continue
		}
		evs = append(evs, snapshot(&e))
		if e.Type == event.TypeProcExit && e.TID == pid {
			return pid, evs
		}
	}
}

// Execs and clones need their entry seen. The driver hooks only their own
// syscall tracepoints, so other syscalls pay nothing at entry; where those
// cannot be attached it hooks every entry (sys_enter). Both must give the
// same exec and clone events.
func TestEntryHooks(t *testing.T) {
	h := start(t)
	if os.Getenv("SAKER_TEST_GENERIC_SYS_ENTER") == "" && h.drv.Entry() != drivers.EntrySyscallTracepoints {
		t.Errorf("the driver sees entries through %q, want %q", h.drv.Entry(), drivers.EntrySyscallTracepoints)
	}
	drv, rd := attachSecond(t, drivers.LoadOptions{GenericSysEnter: true,
		Types: []event.Type{event.TypeExecve, event.TypeExecveat, event.TypeClone, event.TypeClone3,
			event.TypeProcExit, event.TypeOpenat}})
	if drv.Entry() != drivers.EntryGeneric {
		t.Fatalf("forced generic entry hook: got %q", drv.Entry())
	}
	_, evs := runOn(t, rd, "execveat")
	g := one(t, evs, event.TypeExecveat, argIs("exe", "via-execveat"))
	if g.Res != 0 || g.Syscall != unix.SYS_EXECVEAT {
		t.Errorf("execveat through sys_enter: res %d syscall %d", g.Res, g.Syscall)
	}
	_, env := tmpDir(t)
	pid, evs := runOn(t, rd, "spawn", env)
	if len(filterClones(evs, pid)) == 0 {
		t.Errorf("no child-side clone event for a child of %d through sys_enter", pid)
	}
}

func filterClones(evs []got, parent int64) []got {
	var out []got
	for _, g := range evs {
		if g.Type.IsClone() && g.Res == 0 && g.PPID == parent {
			out = append(out, g)
		}
	}
	return out
}

// attachSecond loads and attaches a second driver with opts (a 4 MiB ring)
// next to the harness's, with a reader; both close when the test ends.
func attachSecond(t *testing.T, opts drivers.LoadOptions) (*drivers.Driver, *capture.Reader) {
	t.Helper()
	opts.RingBufferSize = 4 << 20
	drv, err := drivers.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { drv.Close() })
	rd, err := capture.NewReader(drv, capture.Options{PollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rd.Close() })
	if err := drv.Attach(); err != nil {
		t.Fatal(err)
	}
	return drv, rd
}
