package run

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/cmd/artifact"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/internal/faultproxy"
	"github.com/sakersec/saker/internal/testregistry"
	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/registry"
	"github.com/sakersec/saker/sensor/alert"
)

func openRule(name, path string) string {
	return fmt.Sprintf("- rule: %s\n  desc: opened a marker file\n  condition: evt.type in (open, openat, openat2) and fd.name = %s\n  output: marker opened (file=%%fd.name command=%%proc.cmdline)\n  priority: WARNING\n", name, path)
}

// A running sensor follows a rulesfile in a loopback registry: v2 adds a
// rule that fires without a restart; a broken v3 is reported and v2 keeps
// running; a 429's Retry-After is respected.
func TestAcceptanceFollowHotReload(t *testing.T) {
	testutil.NeedBPF(t)
	var proxy *faultproxy.Proxy
	reg := testregistry.New(t, testregistry.Options{Wrap: func(h http.Handler) http.Handler {
		proxy = faultproxy.Wrap(h)
		return proxy
	}})
	root := t.TempDir()
	rulesDir := filepath.Join(root, "rules")
	marker1, marker2 := filepath.Join(root, "marker-v1"), filepath.Join(root, "marker-v2")
	for _, m := range []string{marker1, marker2} {
		os.WriteFile(m, []byte("x"), 0o644)
	}
	client, err := registry.New(registry.Options{PlainHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	ref := reg.Ref("rules/follow", "latest")
	push := func(version, body string) {
		t.Helper()
		f := filepath.Join(t.TempDir(), "follow_rules.yaml")
		os.WriteFile(f, []byte(body), 0o644)
		repo, err := client.Repository(reg.Ref("rules/follow", version))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := artifacts.Push(context.Background(), repo, artifacts.PushOptions{Type: artifacts.Rulesfile, Files: []string{f},
			Config: artifacts.Config{Version: version}, Tags: []string{"latest"}}); err != nil {
			t.Fatal(err)
		}
	}
	sakerCfg := filepath.Join(root, "sakerctl.yaml")
	os.WriteFile(sakerCfg, []byte(fmt.Sprintf("registry:\n  plainHTTP: [%q]\nartifact:\n  install:\n    stateDir: %s\n  follow:\n    rulesfilesDir: %s\n",
		reg.Host, filepath.Join(root, "state"), rulesDir)), 0o644)
	var logs testutil.SyncBuffer
	f := cli.NewFactory()
	f.IO = cli.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: &logs}
	f.Options.ConfigFile, f.Options.LogFormat, f.Options.LogLevel = sakerCfg, "text", "debug"
	f.Getenv = func(string) string { return "" }
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sakerctl logs:\n%s", logs.String())
		}
	})

	// v1, installed by a follower's first check.
	push("1.0.0", openRule("Follow v1", marker1))
	fl, err := artifact.NewFollower(f, &artifact.FollowOptions{Refs: []string{ref}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fl.Check(context.Background(), ref); err != nil {
		t.Fatal(err)
	}

	cfgFile := filepath.Join(root, "falco.yaml")
	os.WriteFile(cfgFile, []byte("stdout_output: {enabled: false}\nsyslog_output: {enabled: false}\n"+
		"webserver: {enabled: true, listen_address: 127.0.0.1, listen_port: 0, prometheus_metrics_enabled: true}\n"+
		`append_output: [{extra_fields: ["proc.pid"]}]`+"\n"), 0o644)
	col := &alerts{}
	o := &Options{ConfigFile: cfgFile, RulesFiles: []string{rulesDir}, Stdout: io.Discard, Logger: f.Logger(),
		OnAlert: col.add, Follow: FollowOptions{Refs: []string{ref}, Factory: f}}
	o.Follow.Schedule.Every = "1s"
	s := runSensor(t, o)
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	addr, err := s.WebAddr(wctx)
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
		return string(b)
	}
	for !s.Runner.Ready() {
		time.Sleep(10 * time.Millisecond)
	}
	pid := run(t, "/", "cat", marker1)
	col.wait(t, "Follow v1", pidIs(pid))

	// fireWithin opens marker until rule alerts for one of the opens.
	fireWithin := func(rule, marker string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			pid := run(t, "/", "cat", marker)
			for end := time.Now().Add(500 * time.Millisecond); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
				if col.find(rule, pidIs(pid)) {
					return
				}
			}
		}
		t.Fatalf("no %q alert within 20s (reload status %+v)", rule, s.ReloadStatus())
	}

	// v2 adds a rule: it fires with no restart. The registry rate-limits
	// the next config download once.
	proxy.SetRules(faultproxy.Rule{Match: faultproxy.BlobGets, Times: 1,
		Fault: faultproxy.Fault{Kind: faultproxy.Status, Status: http.StatusTooManyRequests, RetryAfter: "1"}})
	push("2.0.0", openRule("Follow v1", marker1)+openRule("Follow v2", marker2))
	fireWithin("Follow v2", marker2)
	if !strings.Contains(logs.String(), "rules +1 (Follow v2)") {
		t.Errorf("the follower did not log the added rule")
	}
	rateLimited := false
	reqs := proxy.Requests()
	for i, r := range reqs {
		if r.Fault == 0 {
			continue
		}
		rateLimited = true
		for _, next := range reqs[i+1:] {
			if next.Path == r.Path {
				if wait := next.At.Sub(r.At); wait < time.Second {
					t.Errorf("rate-limited request repeated after %v, before Retry-After: 1", wait)
				}
				break
			}
		}
	}
	if !rateLimited {
		t.Error("no request was rate-limited")
	}

	// v3 does not compile: the follower refuses it before it reaches the
	// disk, the sensor keeps v2 and says why.
	push("3.0.0", openRule("Follow v1", marker1)+"- rule: Follow v3\n  desc: broken\n  condition: evt.type = openat and (\n  output: x\n  priority: INFO\n")
	deadline := time.Now().Add(20 * time.Second)
	for s.ReloadStatus().Failures == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the broken version was never reported (status %+v)", s.ReloadStatus())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if h := get("/healthz"); !strings.Contains(h, `"status":"ok"`) || !strings.Contains(h, "follow_rules.yaml") {
		t.Errorf("/healthz does not report the failed reload: %s", h)
	}
	if m := get("/metrics"); !strings.Contains(m, "saker_rules_reload_failing 1") {
		t.Errorf("/metrics does not report the failed reload")
	}
	fireWithin("Follow v2", marker2)
	if b, _ := os.ReadFile(filepath.Join(rulesDir, "follow_rules.yaml")); !strings.Contains(string(b), "Follow v2") || strings.Contains(string(b), "Follow v3") {
		t.Errorf("the installed rules are not v2 after the broken v3:\n%s", b)
	}
	if !strings.Contains(logs.String(), "version refused") {
		t.Error("the refusal of v3 is not logged")
	}
}

// find reports whether an alert of rule satisfies match.
func (c *alerts) find(rule string, match func(*alert.Alert) bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range c.all {
		if a.Rule == rule && match(a) {
			return true
		}
	}
	return false
}
