package capture_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/sakersec/saker/drivers"
	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/sensor/capture"
	"github.com/sakersec/saker/sensor/event"
)

// childEnv names the action a re-executed test binary performs (see
// TestMain and actions in syscalls_test.go).
const childEnv = "SAKER_CAPTURE_CHILD"

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		os.Exit(runChild(name))
	}
	code := m.Run()
	if h != nil {
		h.close()
	}
	os.Exit(code)
}

// got is a copy of an event that outlives the reader's buffer.
type got struct {
	Type     event.Type
	Syscall  int32
	TID, PID int64
	PPID     int64
	UID, GID uint32
	Comm     string
	Res      int64
	Args     map[string]string // evt.arg.NAME renderings
	Ints     map[string]int64  // scalar arguments
	Raw      map[string][]byte // byte arguments
	Tuple    event.Tuple
	Addr     event.SockAddr
	TS       int64
}

func snapshot(e *event.Event) got {
	g := got{Type: e.Type, Syscall: e.Syscall, TID: e.TID, PID: e.PID, PPID: e.PPID, UID: e.UID, GID: e.GID,
		Comm: string(e.CommBytes()), Res: e.Res, TS: e.TS,
		Args: map[string]string{}, Ints: map[string]int64{}, Raw: map[string][]byte{}}
	for i := 0; i < e.NumArgs(); i++ {
		a := e.ArgAt(i)
		if !a.Valid() {
			continue
		}
		g.Args[a.Name()] = string(a.AppendValue(nil))
		if a.IsScalar() {
			g.Ints[a.Name()] = a.Int()
		} else {
			g.Raw[a.Name()] = append([]byte(nil), a.Raw...)
		}
		switch a.Info.Kind {
		case event.KindTuple:
			if tu, ok := a.Tuple(); ok {
				tu.Path = append([]byte(nil), tu.Path...)
				g.Tuple = tu
			}
		case event.KindSockAddr:
			if sa, ok := a.SockAddr(); ok {
				sa.Path = append([]byte(nil), sa.Path...)
				g.Addr = sa
			}
		}
	}
	return g
}

// harness owns the driver and a reader goroutine that keeps the events of
// the test's descendants.
type harness struct {
	drv  *drivers.Driver
	rd   *capture.Reader
	self int64

	mu      sync.Mutex
	tracked map[int64]bool  // pids whose events are kept
	events  map[int64][]got // by pid
	exited  map[int64]chan struct{}
	done    chan struct{}
}

var (
	h     *harness
	hOnce sync.Once
	hErr  error
)

// start returns the shared harness, loading the driver on first use.
func start(t *testing.T) *harness {
	t.Helper()
	testutil.NeedBPF(t)
	hOnce.Do(func() {
		// SAKER_TEST_DRIVER_MODE=raw_tracepoint runs the suite on the fallback programs,
		// SAKER_TEST_GENERIC_SYS_ENTER=1 on the generic entry hook.
		mode := drivers.Mode(os.Getenv("SAKER_TEST_DRIVER_MODE"))
		drv, err := drivers.Load(drivers.LoadOptions{RingBufferSize: 64 << 20, Mode: mode,
			GenericSysEnter: os.Getenv("SAKER_TEST_GENERIC_SYS_ENTER") != ""})
		if err != nil {
			hErr = err
			return
		}
		rd, err := capture.NewReader(drv, capture.Options{PollInterval: 5 * time.Millisecond})
		if err != nil {
			drv.Close()
			hErr = err
			return
		}
		if err := drv.Attach(); err != nil {
			rd.Close()
			drv.Close()
			hErr = err
			return
		}
		h = &harness{drv: drv, rd: rd, self: int64(os.Getpid()), tracked: map[int64]bool{},
			events: map[int64][]got{}, exited: map[int64]chan struct{}{}, done: make(chan struct{})}
		go h.loop()
	})
	if hErr != nil {
		t.Fatal(hErr)
	}
	return h
}

func (h *harness) loop() {
	defer close(h.done)
	var e event.Event
	for {
		if err := h.rd.ReadInto(&e); err != nil {
			return
		}
		h.mu.Lock()
		keep := h.tracked[e.PID] || e.PPID == h.self || h.tracked[e.PPID]
		if keep {
			h.tracked[e.PID] = true
			h.events[e.PID] = append(h.events[e.PID], snapshot(&e))
			if e.Type == event.TypeProcExit && e.TID == e.PID {
				if ch := h.exited[e.PID]; ch != nil {
					close(ch)
					delete(h.exited, e.PID)
				} else {
					h.exited[e.PID] = nil
				}
			}
		}
		h.mu.Unlock()
	}
}

func (h *harness) close() {
	h.drv.Detach()
	h.rd.Close()
	<-h.done
	h.drv.Close()
}

// run re-executes the test binary to perform action, waits for it and for
// its exit event, and returns the events of the child (by pid) and of its
// own children.
func (h *harness) run(t *testing.T, action string, extraEnv ...string) (pid int64, evs []got, exitCode int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+action)
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stderr = os.Stderr
	before := time.Now().UnixNano()
	defer func() {
		// Timestamps are wall-clock nanoseconds taken during the run.
		after := time.Now().UnixNano()
		for _, g := range evs {
			if g.TS < before-int64(time.Millisecond) || g.TS > after+int64(time.Millisecond) {
				t.Errorf("%s event at %d outside the run [%d, %d]", g.Type, g.TS, before, after)
				break
			}
		}
	}()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid = int64(cmd.Process.Pid)
	ch := h.exitChan(pid)
	err = cmd.Wait()
	exitCode = cmd.ProcessState.ExitCode()
	if err != nil && exitCode <= 0 {
		t.Fatalf("child %s: %v", action, err)
	}
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatalf("no procexit event for child %d (%s) within 20s", pid, action)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	evs = append(evs, h.events[pid]...)
	delete(h.events, pid)
	for p, list := range h.events {
		if len(list) > 0 && list[0].PPID == pid {
			evs = append(evs, list...)
			delete(h.events, p)
		}
	}
	return pid, evs, exitCode
}

func (h *harness) exitChan(pid int64) chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := make(chan struct{})
	if c, seen := h.exited[pid]; seen && c == nil {
		close(ch)
		delete(h.exited, pid)
		return ch
	}
	h.exited[pid] = ch
	return ch
}

// find returns the events of type ty (from pid when pid > 0) that match.
func find(evs []got, ty event.Type, match func(got) bool) []got {
	var out []got
	for _, g := range evs {
		if g.Type == ty && (match == nil || match(g)) {
			out = append(out, g)
		}
	}
	return out
}

// one returns the single event of type ty that matches, failing the test
// with a listing of what was seen otherwise.
func one(t *testing.T, evs []got, ty event.Type, match func(got) bool) got {
	t.Helper()
	m := find(evs, ty, match)
	if len(m) == 1 {
		return m[0]
	}
	var seen []string
	for _, g := range find(evs, ty, nil) {
		seen = append(seen, fmt.Sprintf("tid=%d res=%d %v", g.TID, g.Res, g.Args))
	}
	drops := uint64(0)
	if h != nil {
		drops, _ = h.drv.Drops()
	}
	t.Fatalf("want 1 matching %s event, got %d (ring buffer drops so far: %d); all %s events: %v", ty, len(m), drops, ty, seen)
	return got{}
}

func wantArgs(t *testing.T, g got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if g.Args[k] != v {
			t.Errorf("%s: evt.arg.%s = %q, want %q", g.Type, k, g.Args[k], v)
		}
	}
}
