package ruletest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// ErrTestFile is wrapped by errors about a test file that cannot be used
// (unreadable, bad YAML, unknown keys, a test without events).
var ErrTestFile = errors.New("invalid rule test file")

// Embedded names Saker's embedded default rules in a test's rules list.
const Embedded = "embedded"

// File is one parsed test file.
type File struct {
	// Path is the file as given; relative paths inside it resolve against
	// its directory.
	Path string `yaml:"-"`
	// Rules are the default rules files of the file's tests.
	Rules []string `yaml:"rules"`
	Tests []Test   `yaml:"tests"`
}

// Test is one test case.
type Test struct {
	Name string `yaml:"name"`
	// Capture is a trace file recorded with `sakerctl capture record` or
	// `sakerctl run --write`.
	Capture string `yaml:"capture"`
	// AuditEvents are JSON files of Kubernetes audit events: an Event, an
	// EventList, an array of them, or one of those per line.
	AuditEvents []string `yaml:"audit_events"`
	// Rules are rules files or directories, loaded in order; "embedded"
	// is Saker's default rules. Empty means the file's rules.
	Rules []string `yaml:"rules"`
	// RuleMatching is "first" (Falco's default: one alert per event) or
	// "all".
	RuleMatching string `yaml:"rule_matching"`
	// Expect lists the alerts that must be raised.
	Expect []Expect `yaml:"expect"`
	// Forbid lists rules that must not raise any alert.
	Forbid []string `yaml:"forbid"`
	// NoOtherAlerts fails the test when a rule not named in Expect fires.
	NoOtherAlerts bool `yaml:"no_other_alerts"`

	// Line is the test's line in its file.
	Line int `yaml:"-"`
}

// Expect is one expected alert.
type Expect struct {
	Rule string `yaml:"rule"`
	// Count is the exact number of matching alerts; MinCount a minimum.
	// Without either, at least one alert must match.
	Count    *int `yaml:"count"`
	MinCount *int `yaml:"min_count"`
	// OutputFields are values the alert's output fields must have (the
	// fields the rule's output names); null or "<NA>" means no value.
	OutputFields map[string]any `yaml:"output_fields"`
}

// Load reads and checks a test file.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTestFile, err)
	}
	return Parse(path, data)
}

// Parse parses a test file's content; path names it in errors and anchors
// its relative paths.
func Parse(path string, data []byte) (*File, error) {
	f := &File{Path: path}
	var probe yaml.Node
	if yaml.Unmarshal(data, &probe) == nil && len(probe.Content) == 1 && probe.Content[0].Kind == yaml.SequenceNode {
		return nil, fmt.Errorf("%w: %s: the file is a YAML list, like a rules file; a test file is a mapping with a tests: list (keep rules files out of the directories given to rules test, or name them in the tests' rules:)", ErrTestFile, path)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %s: the file is empty (want a tests: list)", ErrTestFile, path)
		}
		var te *yaml.TypeError
		if errors.As(err, &te) {
			msgs := make([]string, len(te.Errors))
			for i, m := range te.Errors {
				msgs[i] = path + ":" + typeErrorText(m)
			}
			return nil, fmt.Errorf("%w: %s", ErrTestFile, strings.Join(msgs, "; "))
		}
		return nil, fmt.Errorf("%w: %s: %s", ErrTestFile, path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	f.Path = path
	// Lines of the tests, for reports.
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) == nil && len(doc.Content) == 1 {
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "tests" {
				for j, n := range m.Content[i+1].Content {
					if j < len(f.Tests) {
						f.Tests[j].Line = n.Line
					}
				}
			}
		}
	}
	if len(f.Tests) == 0 {
		return nil, fmt.Errorf("%w: %s: no tests (want a tests: list, see docs/rule-authoring.md)", ErrTestFile, path)
	}
	for i := range f.Tests {
		if err := f.check(&f.Tests[i], i); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// keysOf lists the keys a test file accepts where yaml names a type.
var keysOf = map[string]string{
	"ruletest.File":   "a test file (rules, tests)",
	"ruletest.Test":   "a test (name, capture, audit_events, rules, rule_matching, expect, forbid, no_other_alerts)",
	"ruletest.Expect": "an expect entry (rule, count, min_count, output_fields)",
}

// typeErrorText rewrites yaml.v3's "line N: field K not found in type T"
// into "N: unknown key K in <what T is> (<its keys>)".
func typeErrorText(m string) string {
	rest, ok := strings.CutPrefix(m, "line ")
	if !ok {
		return " " + m
	}
	line, msg, _ := strings.Cut(rest, ": ")
	if k, typ, ok := strings.Cut(strings.TrimPrefix(msg, "field "), " not found in type "); ok {
		if what, ok := keysOf[typ]; ok {
			return fmt.Sprintf("%s: unknown key %q in %s", line, k, what)
		}
	}
	return line + ": " + msg
}

func (f *File) check(t *Test, i int) error {
	at := fmt.Sprintf("%s:%d: tests[%d]", f.Path, t.Line, i)
	if t.Name == "" {
		t.Name = fmt.Sprintf("test %d", i+1)
	} else {
		at += " (" + t.Name + ")"
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrTestFile, at, fmt.Sprintf(format, args...))
	}
	if t.Capture == "" && len(t.AuditEvents) == 0 {
		return bad("no events: set capture (a trace file) or audit_events (JSON files)")
	}
	if len(t.Rules) == 0 && len(f.Rules) == 0 {
		return bad("no rules: set rules (files, or %q for Saker's default rules) in the test or at the top of the file", Embedded)
	}
	switch strings.ToLower(t.RuleMatching) {
	case "", "first", "all":
	default:
		return bad("rule_matching %q: want first or all", t.RuleMatching)
	}
	if len(t.Expect) == 0 && len(t.Forbid) == 0 && !t.NoOtherAlerts {
		return bad("nothing to check: add expect, forbid or no_other_alerts: true")
	}
	for j, e := range t.Expect {
		switch {
		case e.Rule == "":
			return bad("expect[%d]: rule is missing", j)
		case e.Count != nil && e.MinCount != nil:
			return bad("expect[%d] (%s): set count or min_count, not both", j, e.Rule)
		case e.Count != nil && *e.Count < 0, e.MinCount != nil && *e.MinCount < 0:
			return bad("expect[%d] (%s): counts cannot be negative", j, e.Rule)
		}
	}
	return nil
}

// resolve makes a path in the file relative to the file's directory.
func (f *File) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(f.Path), p)
}

// rulesOf returns the rules a test loads, paths resolved.
func (f *File) rulesOf(t *Test) []string {
	names := t.Rules
	if len(names) == 0 {
		names = f.Rules
	}
	out := make([]string, len(names))
	for i, n := range names {
		if n == Embedded {
			out[i] = n
			continue
		}
		out[i] = f.resolve(n)
	}
	return out
}

// Expand turns arguments into test files: files as given, directories to
// their *.yaml and *.yml files in name order.
func Expand(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrTestFile, err)
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		ents, err := os.ReadDir(a)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrTestFile, err)
		}
		var names []string
		for _, e := range ents {
			if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
				names = append(names, filepath.Join(a, e.Name()))
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("%w: directory %s has no .yaml test files", ErrTestFile, a)
		}
		sort.Strings(names)
		out = append(out, names...)
	}
	return out, nil
}
