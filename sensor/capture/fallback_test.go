package capture_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

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
	drv, err := drivers.Load(drivers.LoadOptions{Mode: drivers.ModeRawTracepoint, RingBufferSize: 4 << 20,
		Types: []event.Type{event.TypeOpenat, event.TypeExecve, event.TypeProcExit}})
	if err != nil {
		t.Fatal(err)
	}
	defer drv.Close()
	rd, err := capture.NewReader(drv, capture.Options{PollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if err := drv.Attach(); err != nil {
		t.Fatal(err)
	}
	if drv.Mode() != drivers.ModeRawTracepoint {
		t.Fatalf("mode %s", drv.Mode())
	}
	dir, env := tmpDir(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=open", env)
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
		if e.PID != pid {
			continue
		}
		evs = append(evs, snapshot(&e))
		if e.Type == event.TypeProcExit && e.TID == pid {
			break
		}
	}
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
