package runner

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/config"
	"github.com/sakersec/saker/sensor/event"
)

func markerRule(name, path string) string {
	return fmt.Sprintf("- rule: %s\n  desc: test\n  condition: evt.type = openat and fd.name = %s\n  output: opened %%fd.name\n  priority: WARNING\n", name, path)
}

// hotSensor runs a sensor on a channel source whose configuration is
// re-read from cfgFile on every reload.
type hotSensor struct {
	t      *testing.T
	s      *Sensor
	src    *chanSource
	mu     sync.Mutex
	counts map[string]int
	pid    atomic.Int64
}

func startHot(t *testing.T, cfgFile string, overrides ...string) *hotSensor {
	t.Helper()
	h := &hotSensor{t: t, src: newChanSource(), counts: map[string]int{}}
	h.pid.Store(1000)
	load := func() (*config.Config, error) {
		cfg, _, err := config.Load(config.LoadOptions{File: cfgFile, Overrides: overrides})
		return cfg, err
	}
	cfg, err := load()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Setup(SetupOptions{Config: cfg, LoadConfig: load, ConfigFiles: []string{cfgFile},
		OpenCapture: func(CaptureOptions) (EventSource, error) { return h.src, nil },
		OnAlert: func(a *alert.Alert) {
			h.mu.Lock()
			h.counts[a.Rule]++
			h.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

// open sends an open of path by a new process.
func (h *hotSensor) open(path string) {
	pid := h.pid.Add(1)
	h.src.ch <- mk(h.t, event.TypeOpenat, pid, 1, 3, "cat", map[string]any{"dirfd": int64(-100), "name": path, "flags": int64(event.OpenRead)})
}

func (h *hotSensor) count(rule string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[rule]
}

func (h *hotSensor) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s (alerts %v, reload status %+v)", what, h.counts, h.s.ReloadStatus())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Rules swapped while events stream in: every event is evaluated, by the
// old rules or the new ones, never by none.
func TestReloadLosesNoEvent(t *testing.T) {
	rf := writeFile(t, "rules.yaml", markerRule("Keep", "/marker/keep"))
	cfgFile := writeFile(t, "falco.yaml", "rules_files: ["+rf+"]\nstdout_output: {enabled: false}\nwebserver: {enabled: false}\n")
	h := startHot(t, cfgFile)
	const n = 3000
	stop := make(chan struct{})
	var reloads atomic.Int64
	go func() {
		versions := []string{markerRule("Keep", "/marker/keep") + markerRule("Extra", "/marker/extra"), markerRule("Keep", "/marker/keep")}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// Replace the file atomically, as installs do: a reload must
			// never read a half-written version.
			replaceFile(t, rf, versions[i%2])
			if err := h.s.Reload(); err != nil {
				t.Error(err)
				return
			}
			reloads.Add(1)
		}
	}()
	for i := 0; i < n; i++ {
		h.open("/marker/keep")
		if i%2 == 0 {
			h.open("/marker/other")
		}
	}
	close(stop)
	h.waitFor("an alert per event", func() bool { return h.count("Keep") == n })
	if reloads.Load() < 2 {
		t.Errorf("only %d reloads happened during the stream", reloads.Load())
	}
	time.Sleep(100 * time.Millisecond)
	if got := h.count("Keep"); got != n {
		t.Errorf("%d alerts for %d events", got, n)
	}
}

// A change on disk goes live with no restart; a broken version keeps the
// running rules and reports the error in /healthz and /metrics; the
// configuration file's rules_files is followed too.
func TestReloadOnDiskChanges(t *testing.T) {
	rf := writeFile(t, "rules.yaml", markerRule("V1", "/marker/v1"))
	cfgBody := "stdout_output: {enabled: false}\nwebserver: {enabled: true, listen_address: 127.0.0.1, listen_port: 0, prometheus_metrics_enabled: true}\nrules_files: [%s]\n"
	cfgFile := writeFile(t, "falco.yaml", fmt.Sprintf(cfgBody, rf))
	h := startHot(t, cfgFile)
	wctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	addr, err := h.s.WebAddr(wctx)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) string {
		resp, err := http.Get("http://" + addr.String() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: HTTP %d", path, resp.StatusCode)
		}
		return string(b)
	}
	h.waitFor("the event loop", h.s.Runner.Ready)
	h.open("/marker/v1")
	h.waitFor("V1", func() bool { return h.count("V1") == 1 })

	// v2 adds a rule.
	replaceFile(t, rf, markerRule("V1", "/marker/v1")+markerRule("V2", "/marker/v2"))
	h.waitFor("the reload to v2", func() bool { return h.s.Runner.Rules() == 2 })
	h.open("/marker/v2")
	h.waitFor("V2", func() bool { return h.count("V2") == 1 })

	// v3 does not compile: v2 keeps running.
	replaceFile(t, rf, markerRule("V1", "/marker/v1")+"- rule: V3\n  desc: x\n  condition: evt.type = openat and (\n  output: x\n  priority: INFO\n")
	h.waitFor("the failed reload", func() bool { return h.s.ReloadStatus().Failures == 1 })
	if st := h.s.ReloadStatus(); !strings.Contains(st.LastError, "rules.yaml") {
		t.Errorf("the error does not name the file: %q", st.LastError)
	}
	if body := get("/healthz"); !strings.Contains(body, `"status":"ok"`) || !strings.Contains(body, `"last_error":"reload (file changed:`) {
		t.Errorf("/healthz: %s", body)
	}
	if m := get("/metrics"); !strings.Contains(m, "saker_rules_reload_errors_total 1\n") || !strings.Contains(m, "saker_rules_reload_failing 1\n") {
		t.Errorf("/metrics lacks the reload error")
	}
	h.open("/marker/v2")
	h.waitFor("V2 after the broken version", func() bool { return h.count("V2") == 2 })

	// The configuration now names another rules file.
	other := writeFile(t, "other.yaml", markerRule("Other", "/marker/other"))
	replaceFile(t, cfgFile, fmt.Sprintf(cfgBody, other))
	h.waitFor("the reload of the configuration", func() bool { return h.s.ReloadStatus().LastError == "" })
	h.open("/marker/other")
	h.waitFor("Other", func() bool { return h.count("Other") == 1 })
	if m := get("/metrics"); !strings.Contains(m, "saker_rules_reload_failing 0\n") {
		t.Errorf("/metrics still reports a failing reload")
	}
	// And the new file is watched.
	replaceFile(t, other, markerRule("Other", "/marker/other")+markerRule("Later", "/marker/later"))
	h.waitFor("the reload of the new file", func() bool { return h.s.Runner.Rules() == 2 })
}

// TriggerReload (an in-process follower installed a version) reloads even
// when files are not watched, and a rule's priority setting from the
// reloaded configuration applies.
func TestTriggerReloadWithoutWatching(t *testing.T) {
	rf := writeFile(t, "rules.yaml", markerRule("Before", "/marker/before"))
	cfgBody := "watch_config_files: false\nstdout_output: {enabled: false}\nwebserver: {enabled: false}\nrules_files: [" + rf + "]\npriority: %s\n"
	cfgFile := writeFile(t, "falco.yaml", fmt.Sprintf(cfgBody, "debug"))
	h := startHot(t, cfgFile)
	h.waitFor("the event loop", h.s.Runner.Ready)
	replaceFile(t, rf, markerRule("Before", "/marker/before")+markerRule("After", "/marker/after"))
	time.Sleep(ReloadInterval)
	if n := h.s.Runner.Rules(); n != 1 {
		t.Fatalf("%d rules: the unwatched change was applied", n)
	}
	h.s.TriggerReload("follow: test 2.0.0")
	h.waitFor("the triggered reload", func() bool { return h.s.Runner.Rules() == 2 })
	if st := h.s.ReloadStatus(); st.LastReason != "follow: test 2.0.0" || st.Reloads != 1 {
		t.Errorf("status %+v", st)
	}
	h.open("/marker/after")
	h.waitFor("After", func() bool { return h.count("After") == 1 })
	// priority: error drops the WARNING rules.
	replaceFile(t, cfgFile, fmt.Sprintf(cfgBody, "error"))
	h.s.TriggerReload("configuration")
	h.waitFor("the reload with priority error", func() bool { return h.s.Runner.Rules() == 0 })
}

// replaceFile replaces path atomically, as installs and ConfigMap updates
// do, so a reload never reads a half-written file.
func replaceFile(t *testing.T, path, body string) {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
		t.Error(err)
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Error(err)
	}
}
