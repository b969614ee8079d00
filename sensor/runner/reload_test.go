package runner

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/event"
)

const ruleTmpl = `- rule: %s
  desc: test
  condition: evt.type = openat and fd.name = %s
  output: opened %%fd.name
  priority: NOTICE
`

func TestRulesReloadOnChange(t *testing.T) {
	rf := writeFile(t, "rules.yaml", fmt.Sprintf(ruleTmpl, "R1", "/etc/shadow"))
	cfg := loadCfg(t, "rules_files=["+rf+"]", "stdout_output.enabled=false", "webserver.enabled=false")
	src := newChanSource()
	var mu sync.Mutex
	var got []string
	s, err := Setup(SetupOptions{Config: cfg, OnAlert: func(a *alert.Alert) {
		mu.Lock()
		got = append(got, a.Rule)
		mu.Unlock()
	}, OpenCapture: func(CaptureOptions) (EventSource, error) { return src, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()

	open := func(pid int64, name string) {
		src.ch <- mk(t, event.TypeOpenat, pid, 1, 3, "cat", map[string]any{"dirfd": int64(-100), "name": name, "flags": int64(event.OpenRead)})
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	open(10, "/etc/shadow")
	waitFor("R1", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 1 && got[0] == "R1" })

	// A broken edit keeps the running rules.
	os.WriteFile(rf, []byte("- rule: broken\n  condition: (\n"), 0o644)
	time.Sleep(2 * ReloadInterval)
	if s.Runner.Rules() != 1 {
		t.Fatalf("rules after a broken edit: %d", s.Runner.Rules())
	}
	// A good edit replaces them.
	os.WriteFile(rf, []byte(fmt.Sprintf(ruleTmpl, "R2", "/etc/hosts")+fmt.Sprintf(ruleTmpl, "R3", "/etc/group")), 0o644)
	waitFor("the reload", func() bool { return s.Runner.Rules() == 2 })
	open(11, "/etc/shadow")
	open(12, "/etc/hosts")
	waitFor("R2", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 2 })
	mu.Lock()
	defer mu.Unlock()
	if got[1] != "R2" {
		t.Errorf("alerts after reload: %v", got)
	}
}
