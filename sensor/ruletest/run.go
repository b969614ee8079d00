package ruletest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/defaults"
	"github.com/sakersec/saker/sensor/event"
	"github.com/sakersec/saker/sensor/rules"
	"github.com/sakersec/saker/sensor/runner"
	"github.com/sakersec/saker/sensor/sources/k8saudit"
	"github.com/sakersec/saker/sensor/state"
	"github.com/sakersec/saker/sensor/tracefile"
)

// Result is the outcome of one test.
type Result struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Name string `json:"name"`
	Pass bool   `json:"pass"`
	// Failures say what went wrong, one finding per entry.
	Failures []string `json:"failures,omitempty"`
	// Events is the number of events replayed (syscall and audit).
	Events uint64 `json:"events"`
	// Alerts counts alerts by rule.
	Alerts map[string]int `json:"alerts"`
	// Outputs are the alerts' output lines, in order (for -v).
	Outputs []string `json:"outputs,omitempty"`
}

// Options configure [Run].
type Options struct {
	// Hostname is the alerts' hostname; "" means the sensor's (see
	// runner.Hostname). Fixed in tests for reproducible outputs.
	Hostname string
	Logger   *slog.Logger
}

// RunFile loads a test file and runs its tests. A file that cannot be
// loaded gives one failed result saying why.
func RunFile(ctx context.Context, path string, o Options) []Result {
	f, err := Load(path)
	if err != nil {
		return []Result{{File: path, Name: "(the file does not load)", Failures: []string{err.Error()}, Alerts: map[string]int{}}}
	}
	out := make([]Result, 0, len(f.Tests))
	for i := range f.Tests {
		out = append(out, f.Run(ctx, &f.Tests[i], o))
	}
	return out
}

// Run runs one test of f.
func (f *File) Run(ctx context.Context, t *Test, o Options) Result {
	res := Result{File: f.Path, Line: t.Line, Name: t.Name, Alerts: map[string]int{}}
	fail := func(format string, args ...any) Result {
		res.Failures = append(res.Failures, fmt.Sprintf(format, args...))
		return res
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Hostname == "" {
		o.Hostname = runner.Hostname()
	}
	rs, err := loadRules(f.rulesOf(t))
	if err != nil {
		return fail("%v", err)
	}
	matching, _ := rules.ParseRuleMatching(t.RuleMatching)
	eo := rules.EngineOptions{RuleMatching: matching, Hostname: o.Hostname}
	var alerts []*alert.Alert
	collect := func(a *alert.Alert) { alerts = append(alerts, a) }

	if t.Capture != "" {
		n, err := replayTrace(ctx, f.resolve(t.Capture), rs, eo, collect, o)
		res.Events += n
		if err != nil {
			return fail("capture %s: %v", t.Capture, err)
		}
	}
	for _, p := range t.AuditEvents {
		n, err := replayAudit(f.resolve(p), rs, eo, collect)
		res.Events += n
		if err != nil {
			return fail("audit_events %s: %v", p, err)
		}
	}
	for _, a := range alerts {
		res.Alerts[a.Rule]++
		res.Outputs = append(res.Outputs, a.Priority.String()+" "+a.Rule+": "+a.Output)
	}
	res.Failures = check(t, rs, alerts)
	res.Pass = len(res.Failures) == 0
	return res
}

// loadRules loads a test's rules against the sensor's sources, in the
// order given ("embedded" anywhere in the list).
func loadRules(names []string) (*rules.Ruleset, error) {
	lo := rules.LoadOptions{Sources: runner.Sources()}
	for _, n := range names {
		if n == Embedded {
			lo.Contents = append(lo.Contents, rules.Content{Name: defaults.Name, Data: defaults.Rules})
			continue
		}
		paths, err := expandRules(n)
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("rules: %w", err)
			}
			lo.Contents = append(lo.Contents, rules.Content{Name: p, Data: data})
		}
	}
	rs, res, err := rules.Load(lo)
	if err != nil {
		var b strings.Builder
		b.WriteString("the rules do not load:")
		if res != nil {
			for _, d := range res.Errors() {
				b.WriteString("\n  ")
				b.WriteString(d.String())
			}
		}
		return nil, errors.New(b.String())
	}
	return rs, nil
}

// expandRules lists a rules path as the loader would: a file, or a
// directory's .yaml/.yml files in name order.
func expandRules(p string) ([]string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	if !st.IsDir() {
		return []string{p}, nil
	}
	ents, err := os.ReadDir(p)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	var out []string
	for _, e := range ents {
		if n := e.Name(); !e.IsDir() && (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			out = append(out, filepath.Join(p, n))
		}
	}
	sort.Strings(out)
	return out, nil
}

// traceSource reads a trace file for the runner.
type traceSource struct{ r *tracefile.Reader }

func (s traceSource) Read(ev *event.Event) error { return s.r.Read(ev) }
func (s traceSource) Close() error               { return s.r.Close() }

// replayTrace runs a trace file through the sensor's syscall pipeline:
// offline state, then the engine, as `sakerctl run -e` does.
func replayTrace(ctx context.Context, path string, rs *rules.Ruleset, eo rules.EngineOptions, onAlert func(*alert.Alert), o Options) (uint64, error) {
	tr, err := tracefile.Open(path)
	if err != nil {
		return 0, err
	}
	src := traceSource{tr}
	defer src.Close()
	r, err := runner.New(runner.Options{
		Source: src, Rules: rs, Engine: eo, Hostname: eo.Hostname, Logger: o.Logger, OnAlert: onAlert,
		State: state.New(state.Options{Offline: true, Logger: o.Logger}),
	})
	if err != nil {
		return 0, err
	}
	err = r.Run(ctx)
	n := r.Stats().Events
	if err == nil {
		err = ctx.Err()
	}
	return n, err
}

// replayAudit evaluates a file of Kubernetes audit events with the
// k8s_audit rules, at each event's stageTimestamp, as the sensor's audit
// pipeline does.
func replayAudit(path string, rs *rules.Ruleset, eo rules.EngineOptions, onAlert func(*alert.Alert)) (uint64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	eo.Source = k8saudit.SourceName
	eo.OnAlert = onAlert
	eng, err := rs.NewEngine(eo)
	if err != nil {
		return 0, err
	}
	var events []*k8saudit.Event
	var invalid []error
	if res, err := k8saudit.Decode(data); err == nil {
		events, invalid = res.Events, res.Invalid
	} else {
		// Not one JSON document: the k8saudit plugin's JSON-lines form.
		events, invalid = nil, nil
		lerr := k8saudit.ReadLines(strings.NewReader(string(data)), len(data)+1, func(e *k8saudit.Event) {
			events = append(events, e)
		}, func(err error) { invalid = append(invalid, err) })
		if lerr != nil {
			return 0, fmt.Errorf("not audit events (an Event, an EventList, an array, or one per line): %w", lerr)
		}
	}
	if len(invalid) > 0 {
		return 0, fmt.Errorf("%d invalid event(s), the first: %w", len(invalid), invalid[0])
	}
	for _, e := range events {
		eng.Process(e, e.Time)
	}
	return uint64(len(events)), nil
}

// check compares the alerts with the test's expectations.
func check(t *Test, rs *rules.Ruleset, alerts []*alert.Alert) []string {
	var fails []string
	known := func(name, what string) bool {
		r, ok := rs.Rule(name)
		switch {
		case !ok:
			fails = append(fails, fmt.Sprintf("%s rule %q is not in the loaded rules%s", what, name, suggest(rs, name)))
			return false
		case !r.Enabled:
			fails = append(fails, fmt.Sprintf("%s rule %q is disabled in the loaded rules (enable it in a rules file the test loads)", what, name))
			return false
		case !r.Compiled:
			fails = append(fails, fmt.Sprintf("%s rule %q was skipped when loading (unknown source or field)", what, name))
			return false
		}
		return true
	}
	expected := map[string]bool{}
	for _, e := range t.Expect {
		expected[e.Rule] = true
		if !known(e.Rule, "expected") {
			continue
		}
		var ofRule, matching int
		var mismatch string
		for _, a := range alerts {
			if a.Rule != e.Rule {
				continue
			}
			ofRule++
			if why := fieldsMismatch(a, e.OutputFields); why != "" {
				if mismatch == "" {
					mismatch = why
				}
				continue
			}
			matching++
		}
		want, ok := "", true
		switch {
		case e.Count != nil:
			want, ok = fmt.Sprintf("exactly %d", *e.Count), matching == *e.Count
		case e.MinCount != nil:
			want, ok = fmt.Sprintf("at least %d", *e.MinCount), matching >= *e.MinCount
		default:
			want, ok = "at least 1", matching >= 1
		}
		if ok {
			continue
		}
		msg := fmt.Sprintf("expected %s alert(s) of %q%s, got %d", want, e.Rule, describeFields(e.OutputFields), matching)
		if ofRule > matching {
			msg += fmt.Sprintf(" (the rule fired %d time(s); first difference: %s)", ofRule, mismatch)
		}
		fails = append(fails, msg)
	}
	for _, name := range t.Forbid {
		if !known(name, "forbidden") {
			continue
		}
		n, first := 0, ""
		for _, a := range alerts {
			if a.Rule == name {
				if n == 0 {
					first = a.Output
				}
				n++
			}
		}
		if n > 0 {
			fails = append(fails, fmt.Sprintf("forbidden rule %q fired %d time(s); first: %s", name, n, first))
		}
	}
	if t.NoOtherAlerts {
		others := map[string]int{}
		for _, a := range alerts {
			if !expected[a.Rule] {
				others[a.Rule]++
			}
		}
		names := make([]string, 0, len(others))
		for n := range others {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fails = append(fails, fmt.Sprintf("unexpected alerts (no_other_alerts): %q fired %d time(s)", n, others[n]))
		}
	}
	return fails
}

// fieldsMismatch returns "" when the alert's output fields have the wanted
// values, else the first difference.
func fieldsMismatch(a *alert.Alert, want map[string]any) string {
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w := want[k]
		var got any
		found := false
		for _, f := range a.OutputFields {
			if f.Name == k {
				got, found = f.Value, true
				break
			}
		}
		if !found {
			names := make([]string, len(a.OutputFields))
			for i, f := range a.OutputFields {
				names[i] = f.Name
			}
			return fmt.Sprintf("the rule's output has no field %s (it has %s)", k, strings.Join(names, ", "))
		}
		if !sameValue(got, w) {
			return fmt.Sprintf("%s is %s, want %s", k, show(got), show(w))
		}
	}
	return ""
}

func sameValue(got, want any) bool {
	if want == nil || want == "<NA>" {
		return got == nil
	}
	if got == nil {
		return false
	}
	return fmt.Sprint(got) == fmt.Sprint(want)
}

func show(v any) string {
	if v == nil {
		return "<NA>"
	}
	return fmt.Sprintf("%q", fmt.Sprint(v))
}

func describeFields(m map[string]any) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + show(m[k])
	}
	return " with " + strings.Join(parts, " ")
}

// suggest names loaded rules that look like name (same words, other case).
func suggest(rs *rules.Ruleset, name string) string {
	low := strings.ToLower(name)
	var close []string
	for _, r := range rs.Rules() {
		l := strings.ToLower(r.Name)
		if l == low || strings.Contains(l, low) || strings.Contains(low, l) {
			close = append(close, fmt.Sprintf("%q", r.Name))
		}
	}
	if len(close) == 0 {
		return " (list them with `sakerctl rules list`)"
	}
	if len(close) > 3 {
		close = close[:3]
	}
	return "; did you mean " + strings.Join(close, " or ") + "?"
}
