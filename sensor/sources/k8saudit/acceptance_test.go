package k8saudit

import (
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/rules"
)

// loadAuditRules loads the upstream k8s_audit_rules.yaml against this
// package's source.
func loadAuditRules(t testing.TB) *rules.Ruleset {
	t.Helper()
	p := testutil.Upstream(t, "rules/k8s_audit_rules.yaml")
	rs, res, err := rules.Load(rules.LoadOptions{Files: []string{p}, Sources: fields.NewRegistry(fields.Syscall(), Source())})
	if err != nil {
		t.Fatalf("loading %s: %v", p, err)
	}
	if res.Rules != 48 || res.EnabledRules != 48 {
		t.Fatalf("k8s_audit_rules.yaml: %d rules, %d enabled and compiled; want 48 of 48", res.Rules, res.EnabledRules)
	}
	for _, w := range res.Warnings() {
		t.Logf("warning: %v", w)
	}
	return rs
}

func TestUpstreamRulesLoad(t *testing.T) {
	rs := loadAuditRules(t)
	for _, r := range rs.Rules() {
		if r.Source != SourceName || !r.Compiled {
			t.Errorf("rule %q: source %q compiled %v", r.Name, r.Source, r.Compiled)
		}
	}
}

// TestUpstreamEventsRaiseExpectedAlerts posts every upstream audit event
// file to a real webhook and checks the alerts against the hand-derived
// table in testdata/k8saudit/expected.yaml.
func TestUpstreamEventsRaiseExpectedAlerts(t *testing.T) {
	rs := loadAuditRules(t)
	dir := testutil.Upstream(t, "k8s_audit_events")
	raw, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "testdata", "k8saudit", "expected.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var expected map[string][]string
	if err := yaml.Unmarshal(raw, &expected); err != nil {
		t.Fatalf("testdata/k8saudit/expected.yaml: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != len(expected) {
		t.Errorf("%d event files but %d entries in expected.yaml", len(files), len(expected))
	}

	var got []*alert.Alert
	collect := func(a *alert.Alert) { got = append(got, a) }
	all, err := rs.NewEngine(rules.EngineOptions{Source: SourceName, RuleMatching: rules.MatchAll, OnAlert: collect, Hostname: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var firsts []*alert.Alert
	first, err := rs.NewEngine(rules.EngineOptions{Source: SourceName, OnAlert: func(a *alert.Alert) { firsts = append(firsts, a) }})
	if err != nil {
		t.Fatal(err)
	}
	if all.Rules() != 48 {
		t.Errorf("engine evaluates %d rules, want 48", all.Rules())
	}

	s, _ := startServer(t, Options{})
	sort.Strings(files)
	for _, f := range files {
		name := filepath.Base(f)
		want, ok := expected[name]
		if !ok {
			t.Errorf("%s: not in expected.yaml", name)
			continue
		}
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := Decode(body)
		if err != nil || len(dec.Events) == 0 {
			t.Fatalf("%s: %v", name, err)
		}
		if code, resp := post(t, http.DefaultClient, "POST", s.URL(), "", string(body)); code != 200 {
			t.Fatalf("%s: status %d %s", name, code, resp)
		}
		got, firsts = got[:0], firsts[:0]
		for _, e := range receive(t, s, len(dec.Events)) {
			all.Process(e, e.Time)
			first.Process(e, e.Time)
		}
		var names []string
		for _, a := range got {
			names = append(names, a.Rule)
			t.Logf("%s: %s: %s", name, a.Priority, a.Output)
			if a.Source != SourceName || !a.Time.Equal(dec.Events[0].Time) {
				t.Errorf("%s: alert %q has source %q time %v; want %s at the stageTimestamp %v", name, a.Rule, a.Source, a.Time, SourceName, dec.Events[0].Time)
			}
			if strings.Contains(a.Output, "%ka.") || strings.Contains(a.Output, "%jevt.") {
				t.Errorf("%s: %q output has unexpanded fields: %s", name, a.Rule, a.Output)
			}
		}
		if len(want) == 0 {
			want = nil
		}
		if !reflect.DeepEqual(names, want) {
			t.Errorf("%s: alerts %q, want %q", name, names, want)
		}
		switch {
		case len(want) == 0 && len(firsts) != 0:
			t.Errorf("%s: rule_matching first gave %d alerts, want none", name, len(firsts))
		case len(want) > 0 && (len(firsts) != 1 || firsts[0].Rule != want[0]):
			t.Errorf("%s: rule_matching first gave %d alerts, want only %q", name, len(firsts), want[0])
		}
		if name == "some-user_creates_namespace_foo.json" && len(got) > 0 {
			const out = "K8s Operation performed by user not in allowed list of users (user=some-user target=foo/namespaces verb=create uri=/api/v1/namespaces resp=201)"
			if got[0].Output != out {
				t.Errorf("output = %q, want %q", got[0].Output, out)
			}
		}
		if name == "exec_pod.json" && len(got) > 0 && !strings.Contains(got[0].Output, "action=exec command=bash") {
			t.Errorf("Attach/Exec output %q lacks action=exec command=bash", got[0].Output)
		}
	}
	if st := s.Stats(); st.Dropped != 0 || st.Invalid != 0 {
		t.Errorf("stats = %+v", st)
	}
}

// The rules engine is what Pump feeds.
var _ Processor = (*rules.Engine)(nil)
