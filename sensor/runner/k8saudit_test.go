package runner

import (
	"context"
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
// with the upstream k8s_audit rules and open_params as given.
func auditSensor(t *testing.T, openParams string) (*Sensor, func() []*alert.Alert, context.CancelFunc, chan error) {
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
`)
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
	s, get, cancel, done := auditSensor(t, writeFile(t, "audit.jsonl", lines))
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
	s, get, cancel, done := auditSensor(t, "http://127.0.0.1:0/k8s-audit")
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
