package runner

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/config"
)

// auditSensor runs a sensor on Kubernetes audit events only (no driver)
// with the upstream k8s_audit rules, open_params as given and extra
// falco.yaml lines.
func auditSensor(t *testing.T, openParams, extra string) (*Sensor, func() []*alert.Alert, context.CancelFunc, chan error) {
	t.Helper()
	rulesPath := testutil.Upstream(t, "rules/k8s_audit_rules.yaml")
	falco := writeFile(t, "falco.yaml", `
engine: {kind: nodriver}
load_plugins: [k8saudit, json]
plugins:
  - name: k8saudit
    library_path: libk8saudit.so
    init_config: {maxEventSize: 262144}
    open_params: "`+openParams+`"
  - name: json
    library_path: libjson.so
rules_files: [`+rulesPath+`]
rule_matching: all
stdout_output: {enabled: false}
`+extra)
	cfg, _, err := config.Load(config.LoadOptions{File: falco})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []*alert.Alert
	s, err := Setup(SetupOptions{Config: cfg, OnAlert: func(a *alert.Alert) {
		mu.Lock()
		got = append(got, a)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(cancel)
	return s, func() []*alert.Alert {
		mu.Lock()
		defer mu.Unlock()
		return append([]*alert.Alert(nil), got...)
	}, cancel, done
}

func waitAlerts(t *testing.T, get func() []*alert.Alert, n int) []*alert.Alert {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(get()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("got %d alerts, want %d", len(get()), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return get()
}

func upstreamEvent(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testutil.Upstream(t, "k8s_audit_events"), name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestAuditFileOpenParams(t *testing.T) {
	lines := upstreamEvent(t, "some-user_creates_namespace_foo.json") + "\n" + upstreamEvent(t, "exec_pod.json") + "\n"
	s, get, cancel, done := auditSensor(t, writeFile(t, "audit.jsonl", lines), "")
	got := waitAlerts(t, get, 4)
	if _, err := s.AuditURL(context.Background()); err == nil {
		t.Error("AuditURL succeeded for file open_params")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range got {
		names = append(names, a.Rule)
		if a.Source != "k8s_audit" || a.Hostname == "" {
			t.Errorf("alert %q: source %q hostname %q", a.Rule, a.Source, a.Hostname)
		}
	}
	want := "Disallowed K8s User,Create Disallowed Namespace,K8s Namespace Created,Attach/Exec Pod"
	if strings.Join(names, ",") != want {
		t.Errorf("alerts %v, want %s", names, want)
	}
	if st := s.Runner.Stats(); st.Alerts != 4 || st.ByRule["Attach/Exec Pod"] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestAuditWebhookInSensor(t *testing.T) {
	s, get, cancel, done := auditSensor(t, "http://127.0.0.1:0/k8s-audit", "")
	ctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	url, err := s.AuditURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	body := upstreamEvent(t, "create_nginx_pod_privileged_2nd_container.json")
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	got := waitAlerts(t, get, 1)
	if got[0].Rule != "Create Privileged Pod" || got[0].Time.Format(time.RFC3339Nano) != "2018-10-25T17:53:07.006845Z" {
		t.Errorf("alert %q at %v", got[0].Rule, got[0].Time)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// postAudit posts an upstream audit event file to the sensor's webhook.
func postAudit(t *testing.T, s *Sensor, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url, err := s.AuditURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, "application/json", strings.NewReader(upstreamEvent(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s: status %d", name, resp.StatusCode)
	}
}

// jsonAlert is an alert as a JSON output writes it.
type jsonAlert struct {
	Rule         string         `json:"rule"`
	Source       string         `json:"source"`
	Output       string         `json:"output"`
	OutputFields map[string]any `json:"output_fields"`
}

// append_output entries apply to audit alerts by source, tags and rule, as
// in Falco; entries of the syscall source neither apply nor fail the
// start although their fields do not exist for k8s_audit.
func TestAuditAppendOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "alerts.json")
	s, get, cancel, done := auditSensor(t, "http://127.0.0.1:0/k8s-audit", `
json_output: true
file_output: {enabled: true, filename: `+out+`}
append_output:
  - suggested_output: true
  - match: {source: syscall}
    extra_output: "env=%proc.env"
    extra_fields: [proc.env]
  - match: {source: k8s_audit}
    extra_fields: [ka.verb]
  - match: {source: k8s_audit, tags: [k8s], rule: Create Privileged Pod}
    extra_output: "by %ka.user.name in %(ka.target.namespace)"
    extra_fields:
      - ka.target.resource
      - team: blue
  - match: {source: k8s_audit, tags: [k8s, no_such_tag]}
    extra_output: "TAGGED"
`)
	postAudit(t, s, "create_nginx_pod_privileged_2nd_container.json")
	waitAlerts(t, get, 1)
	postAudit(t, s, "some-user_creates_namespace_foo.json")
	waitAlerts(t, get, 4)
	cancel()
	if err := <-done; err != nil { // the outputs are drained
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var got []jsonAlert
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var a jsonAlert
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("file output line %q: %v", line, err)
		}
		got = append(got, a)
	}
	if len(got) != 4 {
		t.Fatalf("file output has %d alerts, want 4:\n%s", len(got), b)
	}
	var priv *jsonAlert
	for i := range got {
		a := &got[i]
		if a.Source != "k8s_audit" || a.OutputFields["ka.verb"] != "create" {
			t.Errorf("%q (source %s): ka.verb = %v, want create on every audit alert", a.Rule, a.Source, a.OutputFields["ka.verb"])
		}
		if _, ok := a.OutputFields["proc.env"]; ok || strings.Contains(a.Output, "env=") {
			t.Errorf("%q: a syscall entry applied to an audit alert: %s", a.Rule, a.Output)
		}
		if strings.Contains(a.Output, "TAGGED") || strings.Contains(a.Output, "container_id=") {
			t.Errorf("%q: an entry that does not match applied: %s", a.Rule, a.Output)
		}
		if a.Rule == "Create Privileged Pod" {
			priv = a
			continue
		}
		if _, ok := a.OutputFields["team"]; ok || strings.Contains(a.Output, "by some-user in") {
			t.Errorf("%q: the entry for Create Privileged Pod applied: %s %v", a.Rule, a.Output, a.OutputFields)
		}
	}
	if priv == nil {
		t.Fatalf("no Create Privileged Pod alert in %s", b)
	}
	if want := ") by system:serviceaccount:kube-system:replicaset-controller in default"; !strings.HasSuffix(priv.Output, want) {
		t.Errorf("output %q, want it to end with %q", priv.Output, want)
	}
	for name, want := range map[string]any{"team": "blue", "ka.target.resource": "pods",
		"ka.user.name": "system:serviceaccount:kube-system:replicaset-controller", "ka.target.namespace": "default"} {
		if v := priv.OutputFields[name]; v != want {
			t.Errorf("output_fields[%s] = %v, want %v", name, v, want)
		}
	}
}

// An entry for every source naming a syscall field cannot apply to audit
// alerts: the start fails and says how to limit the entry.
func TestAuditAppendOutputWrongSource(t *testing.T) {
	falco := writeFile(t, "falco.yaml", `
engine: {kind: nodriver}
load_plugins: [k8saudit]
plugins: [{name: k8saudit, library_path: libk8saudit.so, open_params: "http://127.0.0.1:0/k8s-audit"}]
rules_files: [`+testutil.Upstream(t, "rules/k8s_audit_rules.yaml")+`]
append_output:
  - extra_fields: [proc.env]
`)
	cfg, _, err := config.Load(config.LoadOptions{File: falco})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Setup(SetupOptions{Config: cfg})
	if err == nil || !strings.Contains(err.Error(), "append_output[0]") || !strings.Contains(err.Error(), "k8s_audit") || !strings.Contains(err.Error(), "match: {source: ...}") {
		t.Fatalf("Setup error %v, want append_output[0] refused for k8s_audit with a hint", err)
	}
}

// The webhook's refusals and queue drops are on /metrics: a body over
// webhookMaxBatchSize (413), bodies with no usable event (400), and events
// that find the queue full while the rules engine is busy.
func TestAuditDropsOnMetrics(t *testing.T) {
	falco := writeFile(t, "falco.yaml", `
engine: {kind: nodriver}
load_plugins: [k8saudit]
plugins:
  - name: k8saudit
    library_path: libk8saudit.so
    init_config: {webhookMaxBatchSize: 2048, queueSize: 1}
    open_params: "http://127.0.0.1:0/k8s-audit"
rules_files: [`+testutil.Upstream(t, "rules/k8s_audit_rules.yaml")+`]
stdout_output: {enabled: false}
webserver: {enabled: true, listen_address: 127.0.0.1, listen_port: 0, prometheus_metrics_enabled: true}
`)
	cfg, _, err := config.Load(config.LoadOptions{File: falco})
	if err != nil {
		t.Fatal(err)
	}
	// The first alert holds the engine's goroutine, so the queue (one
	// event) fills deterministically.
	busy, release := make(chan struct{}, 1), make(chan struct{})
	s, err := Setup(SetupOptions{Config: cfg, OnAlert: func(*alert.Alert) {
		select {
		case busy <- struct{}{}:
		default:
		}
		<-release
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	url, err := s.AuditURL(wctx)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := s.WebAddr(wctx)
	if err != nil {
		t.Fatal(err)
	}
	post := func(body string, want int) {
		t.Helper()
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("POST: status %d, want %d", resp.StatusCode, want)
		}
	}
	exec := upstreamEvent(t, "exec_pod.json")
	post(exec, 200)
	select {
	case <-busy:
	case <-wctx.Done():
		t.Fatal("the exec_pod event raised no alert")
	}
	post(upstreamEvent(t, "create_nginx_pod_privileged_2nd_container.json"), 413) // 3852 bytes
	post("hello", 400)
	post(`{"kind":"Event","auditID":"q"}`, 400) // no stageTimestamp
	post(exec, 200)                             // waits in the queue
	post(exec, 200)                             // the queue is full: dropped

	resp, err := http.Get("http://" + addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"saker_k8saudit_requests_total 3\n",
		`saker_k8saudit_requests_rejected_total{code="413"} 1` + "\n",
		`saker_k8saudit_requests_rejected_total{code="400"} 2` + "\n",
		`saker_k8saudit_requests_rejected_total{code="401"} 0` + "\n",
		"saker_k8saudit_events_total 2\n",
		"saker_k8saudit_events_invalid_total 1\n",
		"saker_k8saudit_drops_total 1\n",
		"saker_kernel_drops_total 0\n",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %q", strings.TrimSpace(want))
		}
	}
	close(release)
	released = true
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st := s.Runner.Stats(); st.Alerts != 2 {
		t.Errorf("%d alerts, want 2 (the dropped event raised none)", st.Alerts)
	}
}
