package runner

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/config"
	"github.com/sakersec/saker/sensor/defaults"
	"github.com/sakersec/saker/sensor/event"
	"github.com/sakersec/saker/sensor/internal/eventtest"
	"github.com/sakersec/saker/sensor/tracefile"
)

// mk builds an event whose record arguments come from args by name.
func mk(t testing.TB, typ event.Type, pid, ppid, res int64, comm string, args map[string]any) *event.Event {
	t.Helper()
	ev := &event.Event{Type: typ, TID: pid, PID: pid, PPID: ppid, Res: res, TS: time.Now().UnixNano(), Syscall: 1}
	copy(ev.Comm[:], comm)
	if err := ev.SetArgs(eventtest.Args(t, typ, args)); err != nil {
		t.Fatal(err)
	}
	return ev
}

// scenario is a shell started by a web server reading /etc/shadow.
func scenario(t testing.TB) []*event.Event {
	return []*event.Event{
		mk(t, event.TypeExecve, 500, 1, 0, "nginx", map[string]any{"exe": "nginx", "cwd": "/", "trusted_exepath": "/usr/sbin/nginx"}),
		mk(t, event.TypeClone, 500, 1, 501, "nginx", nil),
		mk(t, event.TypeExecve, 501, 500, 0, "cat", map[string]any{"exe": "cat", "args": []string{"/etc/shadow"}, "cwd": "/tmp", "trusted_exepath": "/usr/bin/cat"}),
		mk(t, event.TypeOpenat, 501, 500, 3, "cat", map[string]any{"dirfd": int64(-100), "name": "../etc/shadow", "flags": int64(event.OpenRead)}),
		mk(t, event.TypeClose, 501, 500, 0, "cat", map[string]any{"fd": int64(3)}),
	}
}

func rulesFile(t testing.TB) string {
	p := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(p, defaults.Rules, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func loadCfg(t testing.TB, overrides ...string) *config.Config {
	t.Helper()
	cfg, ws, err := config.Load(config.LoadOptions{File: writeFile(t, "falco.yaml", "{}\n"), Overrides: overrides})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		t.Logf("config warning: %v", w)
	}
	return cfg
}

func writeFile(t testing.TB, name, body string) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReplayRaisesAlerts(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "s.trace")
	w, err := tracefile.Create(trace)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range scenario(t) {
		w.Write(ev)
	}
	w.Close()

	cfg := loadCfg(t, "rules_files=["+rulesFile(t)+"]", "json_output=true", "stdout_output.enabled=true")
	var mu sync.Mutex
	var got []*alert.Alert
	var stdout strings.Builder
	s, err := Setup(SetupOptions{Config: cfg, ReplayFile: trace, Stdout: &syncWriter{w: &stdout}, OnAlert: func(a *alert.Alert) {
		mu.Lock()
		got = append(got, a)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d alerts: %+v", len(got), got)
	}
	a := got[0]
	if a.Rule != "Sensitive file read by untrusted program" || a.Priority != alert.PriorityWarning {
		t.Errorf("alert %s %s", a.Rule, a.Priority)
	}
	want := map[string]any{"fd.name": "/etc/shadow", "proc.name": "cat", "proc.pname": "nginx", "proc.cmdline": "cat /etc/shadow", "container.id": "host", "container.name": "host"}
	fieldsOf := map[string]any{}
	for _, f := range a.OutputFields {
		fieldsOf[f.Name] = f.Value
	}
	for k, v := range want {
		if fieldsOf[k] != v {
			t.Errorf("output_fields[%s] = %#v, want %#v", k, fieldsOf[k], v)
		}
	}
	if !strings.Contains(a.Output, "container_id=host") {
		t.Errorf("suggested output not appended: %s", a.Output)
	}
	var j map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(stdout.String())), &j); err != nil || j["rule"] != a.Rule {
		t.Errorf("stdout JSON %q: %v", stdout.String(), err)
	}
	if st := s.Runner.Stats(); st.Events != 5 || st.ByRule[a.Rule] != 1 {
		t.Errorf("stats %+v", st)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

func TestBadRulesFileNamesLine(t *testing.T) {
	bad := writeFile(t, "bad.yaml", "- rule: x\n  desc: d\n  condition: proc.name = \n  output: o\n  priority: WARNING\n")
	cfg := loadCfg(t, "rules_files=["+bad+"]")
	_, err := Setup(SetupOptions{Config: cfg, ReplayFile: "/nonexistent"})
	if !errors.Is(err, ErrRules) || !strings.Contains(err.Error(), bad+":3") {
		t.Fatalf("err = %v, want %s:3", err, bad)
	}
	cfg = loadCfg(t, "rules_files=[/nonexistent/rules.yaml]")
	if _, err := Setup(SetupOptions{Config: cfg, ReplayFile: "/nonexistent"}); !errors.Is(err, ErrRules) || !strings.Contains(err.Error(), "/nonexistent/rules.yaml") {
		t.Fatalf("missing rules file: %v", err)
	}
}

// chanSource is a live source fed by the test.
type chanSource struct {
	ch   chan *event.Event
	done chan struct{}
	once sync.Once
}

func newChanSource() *chanSource {
	return &chanSource{ch: make(chan *event.Event, 16), done: make(chan struct{})}
}

func (c *chanSource) Read(ev *event.Event) error {
	select {
	case e := <-c.ch:
		*ev = *e
		return nil
	case <-c.done:
		return errors.New("closed")
	}
}

func (c *chanSource) Close() error {
	c.once.Do(func() { close(c.done) })
	return nil
}

func (c *chanSource) Drops() (uint64, error) { return 3, nil }

func TestLiveWebserverMetricsAndHTTPOutput(t *testing.T) {
	posts := make(chan map[string]any, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a map[string]any
		if err := json.NewDecoder(r.Body).Decode(&a); err == nil && r.Header.Get("Content-Type") == "application/json" {
			posts <- a
		}
	}))
	defer recv.Close()
	cfg := loadCfg(t, "rules_files=["+rulesFile(t)+"]", "json_output=true", "http_output.enabled=true",
		"http_output.url="+recv.URL, "stdout_output.enabled=false", "webserver.listen_address=127.0.0.1",
		"webserver.listen_port=0", "webserver.prometheus_metrics_enabled=true",
		`append_output[]={"match": {"source": "syscall"}, "extra_fields": ["proc.env"]}`)
	src := newChanSource()
	var gotTypes []event.Type
	s, err := Setup(SetupOptions{Config: cfg, OpenCapture: func(o CaptureOptions) (EventSource, error) {
		gotTypes = o.Types
		return src, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	addr, err := s.WebAddr(wctx)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr.String()
	// /healthz turns ok once the loop runs.
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if resp != nil {
			resp.Body.Close()
		}
		if time.Now().After(deadline) {
			t.Fatal("/healthz never became ok")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, ev := range scenario(t) {
		src.ch <- ev
	}
	var post map[string]any
	select {
	case post = <-posts:
	case <-time.After(30 * time.Second):
		t.Fatal("no alert posted")
	}
	if post["rule"] != "Sensitive file read by untrusted program" {
		t.Errorf("posted %v", post)
	}
	of := post["output_fields"].(map[string]any)
	if _, ok := of["proc.env"]; !ok {
		t.Errorf("append_output extra field missing: %v", of)
	}
	resp, err := http.Get(base + "/versions")
	if err != nil {
		t.Fatal(err)
	}
	var vers map[string]string
	json.NewDecoder(resp.Body).Decode(&vers)
	resp.Body.Close()
	for _, k := range []string{"engine_version", "engine_version_semver", "plugin_api_version", "falco_version"} {
		if vers[k] == "" {
			t.Errorf("/versions lacks %s: %v", k, vers)
		}
	}
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"saker_events_total 5", `saker_alerts_total{priority="Warning",rule="Sensitive file read by untrusted program"} 1`, "saker_kernel_drops_total 3", `saker_outputs_dropped_total{output="http"} 0`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("sensor did not stop")
	}
	has := map[event.Type]bool{}
	for _, ty := range gotTypes {
		has[ty] = true
	}
	for _, ty := range []event.Type{event.TypeOpenat, event.TypeExecve, event.TypeClone, event.TypeClose, event.TypePtrace, event.TypeLinkat} {
		if !has[ty] {
			t.Errorf("capture filter lacks %s: %v", ty, gotTypes)
		}
	}
	if has[event.TypeRecvmsg] {
		t.Error("capture filter includes recvmsg, which neither the rules nor the state need")
	}
}

// falco.yaml's rules: entries disable and enable rules by name or tag.
func TestRulesSelection(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "s.trace")
	w, err := tracefile.Create(trace)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range scenario(t) {
		w.Write(ev)
	}
	w.Close()
	for _, c := range []struct {
		sel  string
		want int
	}{
		{`rules=[{disable: {rule: "Sensitive*"}}]`, 0},
		{`rules=[{disable: {rule: "*"}}, {enable: {tag: credentials}}]`, 1},
		{`rules=[{disable: {tag: filesystem}}]`, 0},
	} {
		cfg := loadCfg(t, "rules_files=["+rulesFile(t)+"]", "stdout_output.enabled=false", c.sel)
		var mu sync.Mutex
		n := 0
		s, err := Setup(SetupOptions{Config: cfg, ReplayFile: trace, OnAlert: func(*alert.Alert) { mu.Lock(); n++; mu.Unlock() }})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n != c.want {
			t.Errorf("%s: %d alerts, want %d", c.sel, n, c.want)
		}
	}
}
