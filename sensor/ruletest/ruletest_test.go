package ruletest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/testutil"
)

func TestParseErrors(t *testing.T) {
	for data, want := range map[string]string{
		"":                    "the file is empty",
		"rules: [embedded]\n": "no tests",
		"tests: [{capture: x.trace, rules: [embedded], forbid: [a]}]\nextra: 1\n":                            `:2: unknown key "extra" in a test file`,
		"tests:\n  - capture: x.trace\n    forbid: [a]\n":                                                    "no rules: set rules",
		"rules: [embedded]\ntests:\n  - capture: x.trace\n":                                                  "nothing to check",
		"rules: [embedded]\ntests:\n  - capture: x.trace\n    rule_matching: most\n    forbid: [a]\n":        `rule_matching "most": want first or all`,
		"rules: [embedded]\ntests:\n  - capture: x.trace\n    expect: [{rule: a, count: 1, min_count: 1}]\n": "set count or min_count, not both",
		"rules: [embedded]\ntests:\n  - capture: x.trace\n    expect: [{rule: a, count: -1}]\n":              "counts cannot be negative",
		"rules: [embedded]\ntests:\n  - capture: x.trace\n    expect: [{count: 1}]\n":                        "expect[0]: rule is missing",
		"tests: {a: b}\n":                         "t.yaml:1:",
		"- rule: x\n  condition: proc.name = a\n": "a YAML list, like a rules file",
	} {
		_, err := Parse("t.yaml", []byte(data))
		if !errors.Is(err, ErrTestFile) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", data, err, want)
		}
	}
}

func TestParsePaths(t *testing.T) {
	f, err := Parse("dir/sub/t.yaml", []byte("rules: [embedded, my.yaml]\ntests:\n  - name: a\n    capture: ../c.trace\n    forbid: [x]\n  - name: b\n    rules: [/abs/r.yaml]\n    audit_events: [e.json]\n    no_other_alerts: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.rulesOf(&f.Tests[0]); !reflect.DeepEqual(got, []string{"embedded", "dir/sub/my.yaml"}) {
		t.Errorf("rules of a: %v", got)
	}
	if got := f.rulesOf(&f.Tests[1]); !reflect.DeepEqual(got, []string{"/abs/r.yaml"}) {
		t.Errorf("rules of b: %v", got)
	}
	if f.resolve(f.Tests[0].Capture) != "dir/c.trace" || f.Tests[0].Line != 3 || f.Tests[1].Line != 6 {
		t.Errorf("capture %s, lines %d %d", f.resolve(f.Tests[0].Capture), f.Tests[0].Line, f.Tests[1].Line)
	}
}

// Replays give the same alerts every time, in the same order.
func TestDeterministic(t *testing.T) {
	p := filepath.Join(testutil.RepoRoot(), "testdata", "ruletests", "process.yaml")
	a := RunFile(context.Background(), p, Options{Hostname: "test"})
	b := RunFile(context.Background(), p, Options{Hostname: "test"})
	if !reflect.DeepEqual(a, b) {
		t.Errorf("two runs differ:\n%+v\n%+v", a, b)
	}
	for _, r := range a {
		if !r.Pass {
			t.Errorf("%s: %v", r.Name, r.Failures)
		}
	}
}

// Audit events may come as JSON lines (the k8saudit plugin's file form),
// and min_count and null output fields check as documented.
func TestAuditLinesAndCounts(t *testing.T) {
	dir := t.TempDir()
	ev := func(verb, ns string) string {
		return `{"kind":"Event","apiVersion":"audit.k8s.io/v1","stage":"ResponseComplete","verb":"` + verb +
			`","user":{"username":"bob"},"objectRef":{"resource":"secrets","namespace":"` + ns +
			`","name":"db"},"stageTimestamp":"2026-01-01T00:00:00Z"}`
	}
	lines := ev("get", "shop") + "\n" + ev("list", "shop") + "\n\n" + ev("get", "kube-system") + "\n"
	os.WriteFile(filepath.Join(dir, "events.jsonl"), []byte(lines), 0o644)
	os.WriteFile(filepath.Join(dir, "r.yaml"), []byte(`- rule: Secret read
  desc: d
  condition: ka.verb in (get, list) and ka.target.resource = secrets and ka.target.namespace != kube-system
  output: read %ka.target.name by %ka.user.name (%ka.impuser.name)
  priority: WARNING
  source: k8s_audit
`), 0o644)
	test := `rules: [r.yaml]
tests:
  - name: counts
    audit_events: [events.jsonl]
    expect:
      - {rule: Secret read, min_count: 2, output_fields: {ka.user.name: bob, ka.impuser.name: null}}
      - {rule: Secret read, count: 2}
  - name: too many
    audit_events: [events.jsonl]
    expect:
      - {rule: Secret read, min_count: 3}
      - {rule: Secret read, output_fields: {ka.impuser.name: alice}}
`
	p := filepath.Join(dir, "t.yaml")
	os.WriteFile(p, []byte(test), 0o644)
	res := RunFile(context.Background(), p, Options{Hostname: "test"})
	if len(res) != 2 || !res[0].Pass || res[0].Events != 3 || res[0].Alerts["Secret read"] != 2 {
		t.Fatalf("results %+v", res)
	}
	if res[1].Pass || len(res[1].Failures) != 2 ||
		!strings.Contains(res[1].Failures[0], `expected at least 3 alert(s) of "Secret read", got 2`) ||
		!strings.Contains(res[1].Failures[1], `ka.impuser.name is <NA>, want "alice"`) {
		t.Errorf("failures %q", res[1].Failures)
	}
}

// Parse never panics, and what it accepts is checked.
func FuzzParse(f *testing.F) {
	f.Add([]byte("rules: [embedded]\ntests:\n  - name: a\n    capture: x.trace\n    expect: [{rule: r, count: 1, output_fields: {fd.name: /etc/shadow}}]\n"))
	f.Add([]byte("tests: [{audit_events: [e.json], rules: [r.yaml], forbid: [x], no_other_alerts: true}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tf, err := Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		for i := range tf.Tests {
			tc := &tf.Tests[i]
			if tc.Capture == "" && len(tc.AuditEvents) == 0 || len(tf.rulesOf(tc)) == 0 {
				t.Fatalf("accepted a test without events or rules: %+v", tc)
			}
		}
	})
}
