package reload

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// harness runs a Reloader whose Reload records its reasons.
type harness struct {
	t       *testing.T
	r       *Reloader
	st      *Status
	mu      sync.Mutex
	reasons []string
	fail    error
	paths   []string
}

func start(t *testing.T, o Options, paths ...string) *harness {
	t.Helper()
	h := &harness{t: t, st: &Status{}, paths: paths}
	o.Reload = func(_ context.Context, reason string) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.reasons = append(h.reasons, reason)
		return h.fail
	}
	o.Paths = func() []string {
		h.mu.Lock()
		defer h.mu.Unlock()
		return append([]string(nil), h.paths...)
	}
	o.Status = h.st
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	h.r = r
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	// Run sets up its watches before it reads any event; a trigger
	// handled proves it is running.
	r.Trigger("startup")
	h.waitReloads(1)
	return h
}

func (h *harness) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.reasons)
}

// waitReloads waits (generously) until n reloads happened.
func (h *harness) waitReloads(n int) []string {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for h.count() < n {
		if time.Now().After(deadline) {
			h.t.Fatalf("%d reloads, want %d: %v", h.count(), n, h.reasons)
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.reasons...)
}

func write(t *testing.T, p, body string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A burst of writes is one reload; unrelated files in the directory are
// ignored.
func TestBurstIsOneReload(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yaml")
	write(t, rules, "v0")
	h := start(t, Options{Watch: true, Debounce: 1500 * time.Millisecond, Signals: []os.Signal{}}, rules)
	write(t, filepath.Join(dir, "notes.txt"), "x")
	for i := range 5 {
		write(t, rules, fmt.Sprint("v", i))
	}
	got := h.waitReloads(2)
	time.Sleep(2500 * time.Millisecond)
	if n := h.count(); n != 2 {
		t.Fatalf("%d reloads after a burst of 5 writes, want 1 more than at startup: %v", n, h.reasons)
	}
	if got[1] != "file changed: "+rules {
		t.Errorf("reason %q", got[1])
	}
}

// A rules directory reloads on YAML files appearing in it; a file
// replaced by rename (how installs land) counts.
func TestDirectoryAndRename(t *testing.T) {
	dir := t.TempDir()
	rulesD := filepath.Join(dir, "rules.d")
	os.Mkdir(rulesD, 0o755)
	h := start(t, Options{Watch: true, Debounce: 50 * time.Millisecond, Signals: []os.Signal{}}, rulesD)
	tmp := filepath.Join(dir, "staged.yaml")
	write(t, tmp, "x")
	if err := os.Rename(tmp, filepath.Join(rulesD, "new.yaml")); err != nil {
		t.Fatal(err)
	}
	if r := h.waitReloads(2)[1]; !strings.HasSuffix(r, "rules.d/new.yaml") {
		t.Errorf("reason %q", r)
	}
	write(t, filepath.Join(rulesD, ".hidden.yaml"), "x")
	write(t, filepath.Join(rulesD, "readme.md"), "x")
	time.Sleep(500 * time.Millisecond)
	if n := h.count(); n != 2 {
		t.Errorf("hidden and non-YAML files caused reloads: %v", h.reasons)
	}
}

// A Kubernetes ConfigMap volume updates by swapping its ..data symlink;
// the files themselves are symlinks through it.
func TestConfigMapSymlinkSwap(t *testing.T) {
	mount := t.TempDir()
	for _, v := range []string{"..v1", "..v2"} {
		os.Mkdir(filepath.Join(mount, v), 0o755)
		write(t, filepath.Join(mount, v, "falco_rules.yaml"), v)
	}
	must(t, os.Symlink("..v1", filepath.Join(mount, "..data")))
	must(t, os.Symlink("..data/falco_rules.yaml", filepath.Join(mount, "falco_rules.yaml")))
	h := start(t, Options{Watch: true, Debounce: 50 * time.Millisecond, Signals: []os.Signal{}}, filepath.Join(mount, "falco_rules.yaml"))
	must(t, os.Symlink("..v2", filepath.Join(mount, "..data_tmp")))
	must(t, os.Rename(filepath.Join(mount, "..data_tmp"), filepath.Join(mount, "..data")))
	h.waitReloads(2)
}

// SIGHUP reloads; failures are recorded and reported until a reload
// succeeds.
func TestSignalAndStatus(t *testing.T) {
	h := start(t, Options{Debounce: 10 * time.Millisecond})
	h.mu.Lock()
	h.fail = errors.New("rules.yaml:3:5: syntax error")
	h.mu.Unlock()
	must(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	if r := h.waitReloads(2)[1]; r != "signal hangup" {
		t.Errorf("reason %q", r)
	}
	sn := h.st.Snapshot()
	if sn.Failures != 1 || sn.Reloads != 1 || sn.LastError != "rules.yaml:3:5: syntax error" || sn.LastErrorAt == nil {
		t.Errorf("status after a failure: %+v", sn)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(h.st)
	mfs, err := reg.Gather()
	must(t, err)
	found := false
	for _, mf := range mfs {
		if mf.GetName() == "saker_rules_reload_errors_total" {
			found = mf.GetMetric()[0].GetCounter().GetValue() == 1
		}
	}
	if !found {
		t.Error("saker_rules_reload_errors_total is not 1")
	}
	h.mu.Lock()
	h.fail = nil
	h.mu.Unlock()
	h.r.Trigger("follow: rules 2.0.0")
	h.waitReloads(3)
	if sn := h.st.Snapshot(); sn.LastError != "" || sn.Reloads != 2 || sn.LastReason != "follow: rules 2.0.0" {
		t.Errorf("status after a success: %+v", sn)
	}
}

// After a reload the watches follow the paths the new configuration
// names.
func TestWatchesFollowPaths(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	fa, fb := filepath.Join(a, "a.yaml"), filepath.Join(b, "b.yaml")
	write(t, fa, "a")
	write(t, fb, "b")
	h := start(t, Options{Watch: true, Debounce: 50 * time.Millisecond, Signals: []os.Signal{}}, fa)
	h.mu.Lock()
	h.paths = []string{fb}
	h.mu.Unlock()
	write(t, fa, "a2")
	h.waitReloads(2)
	write(t, fb, "b2")
	if r := h.waitReloads(3)[2]; r != "file changed: "+fb {
		t.Errorf("reason %q", r)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
