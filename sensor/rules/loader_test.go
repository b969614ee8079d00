package rules

import (
	"regexp"
	"strings"
	"testing"
)

const base = `
- list: shells
  items: [bash, sh]
- list: more_shells
  items: [shells, zsh, '"(quoted)"']
- macro: spawned
  condition: evt.type in (execve, execveat)
- macro: shell
  condition: proc.name in (more_shells)
- rule: Shell
  desc: a shell
  condition: spawned and shell
  output: shell %proc.name
  priority: warning
  tags: [shell]
`

func TestListAndMacroExpansion(t *testing.T) {
	rs := mustLoad(t, base)
	for _, tc := range []struct {
		name string
		want bool
	}{{"bash", true}, {"zsh", true}, {"(quoted)", true}, {"\"(quoted)\"", false}, {"vim", false}} {
		if got := len(fire(t, rs, ev(t, "execve", "proc.name", tc.name))) == 1; got != tc.want {
			t.Errorf("proc.name=%s: fired %v, want %v", tc.name, got, tc.want)
		}
	}
	// An event of another type does not even run the rule.
	if n := len(fire(t, rs, ev(t, "openat", "proc.name", "bash"))); n != 0 {
		t.Errorf("openat fired %d", n)
	}
	l := rs.Lists()
	if len(l) != 2 || strings.Join(l[1].Items, ",") != "bash,sh,zsh,(quoted)" {
		t.Errorf("lists %+v", l)
	}
	r, ok := rs.Rule("Shell")
	if !ok || strings.Join(r.EventTypes, ",") != "execve,execveat" {
		t.Errorf("rule event types %+v", r.EventTypes)
	}
}

// Each case loads base plus an extra file and checks which proc.names fire
// for an execve and the rule's final fields.
func TestOverridesAndAppends(t *testing.T) {
	for _, tc := range []struct {
		name     string
		extra    string
		fires    []string // proc.names that fire
		quiet    []string // proc.names that do not
		output   string
		priority string
		tags     string
		warn     string // a deprecation warning the extra file gets
	}{
		{name: "list append (deprecated)", extra: "- list: shells\n  items: [fish]\n  append: true\n", fires: []string{"fish", "bash"}, warn: "append: true is deprecated"},
		{name: "list override append", extra: "- list: shells\n  items: [fish]\n  override:\n    items: append\n", fires: []string{"fish", "bash"}},
		{name: "list override replace", extra: "- list: shells\n  items: [fish]\n  override:\n    items: replace\n", fires: []string{"fish", "zsh"}, quiet: []string{"bash"}},
		{name: "list redefinition", extra: "- list: shells\n  items: [fish]\n", fires: []string{"fish"}, quiet: []string{"bash"}},
		{name: "macro append (deprecated)", extra: "- macro: shell\n  condition: or proc.name = vim\n  append: true\n", fires: []string{"vim", "bash"}, warn: "append: true is deprecated"},
		{name: "macro override append", extra: "- macro: shell\n  condition: or proc.name = vim\n  override:\n    condition: append\n", fires: []string{"vim", "bash"}},
		{name: "macro override replace", extra: "- macro: shell\n  condition: proc.name = vim\n  override:\n    condition: replace\n", fires: []string{"vim"}, quiet: []string{"bash"}},
		{name: "macro redefinition", extra: "- macro: shell\n  condition: proc.name = vim\n", fires: []string{"vim"}, quiet: []string{"bash"}},
		{name: "rule append (deprecated)", extra: "- rule: Shell\n  condition: and proc.name != zsh\n  append: true\n", fires: []string{"bash"}, quiet: []string{"zsh"}, warn: "append: true is deprecated"},
		{name: "rule override condition append", extra: "- rule: Shell\n  condition: and proc.name != zsh\n  override:\n    condition: append\n", fires: []string{"bash"}, quiet: []string{"zsh"}},
		{name: "rule override condition replace", extra: "- rule: Shell\n  condition: spawned and proc.name = vim\n  override:\n    condition: replace\n", fires: []string{"vim"}, quiet: []string{"bash"}},
		{name: "rule override output append, priority replace", extra: "- rule: Shell\n  output: (more)\n  priority: ERROR\n  override:\n    output: append\n    priority: replace\n", fires: []string{"bash"}, output: "shell bash (more)", priority: "Error"},
		{name: "rule override output replace", extra: "- rule: Shell\n  output: new %proc.name\n  override:\n    output: replace\n", fires: []string{"bash"}, output: "new bash"},
		{name: "rule override tags append", extra: "- rule: Shell\n  tags: [extra]\n  override:\n    tags: append\n", fires: []string{"bash"}, tags: "extra,shell"},
		{name: "rule override tags replace", extra: "- rule: Shell\n  tags: [extra]\n  override:\n    tags: replace\n", fires: []string{"bash"}, tags: "extra"},
		{name: "rule enabled-only off", extra: "- rule: Shell\n  enabled: false\n", quiet: []string{"bash"}, warn: "an entry with only enabled is deprecated"},
		{name: "rule enabled-only on again", extra: "- rule: Shell\n  enabled: false\n- rule: Shell\n  enabled: true\n", fires: []string{"bash"}, warn: "an entry with only enabled is deprecated"},
		{name: "rule override enabled", extra: "- rule: Shell\n  enabled: false\n  override:\n    enabled: replace\n", quiet: []string{"bash"}},
		{name: "rule redefinition", extra: "- rule: Shell\n  desc: d\n  condition: spawned and proc.name = vim\n  output: redefined\n  priority: info\n", fires: []string{"vim"}, quiet: []string{"bash"}, output: "redefined", priority: "Informational"},
		{name: "exceptions: one field, in", extra: "- rule: Shell\n  exceptions:\n    - name: ok\n      fields: proc.name\n      comps: in\n      values: [zsh, sh]\n  override:\n    exceptions: append\n", fires: []string{"bash"}, quiet: []string{"zsh", "sh"}},
		{name: "exceptions: several fields", extra: "- rule: Shell\n  exceptions:\n    - name: ok\n      fields: [proc.name, proc.pname]\n      comps: [=, startswith]\n      values:\n        - [bash, cron]\n  override:\n    exceptions: append\n", fires: []string{"zsh"}, quiet: []string{"bash"}},
		{name: "exceptions: default comps and list names", extra: "- list: ok_names\n  items: [bash, zsh]\n- rule: Shell\n  exceptions:\n    - name: ok\n      fields: [proc.name, proc.pname]\n      comps: [in, =]\n      values:\n        - [ok_names, crond]\n    - name: ok2\n      fields: [proc.name]\n      values:\n        - [sh]\n  override:\n    exceptions: append\n", fires: []string{"(quoted)"}, quiet: []string{"bash", "zsh", "sh"}},
		{name: "exceptions: values appended to an existing exception", extra: "- rule: Shell\n  exceptions:\n    - name: ok\n      fields: proc.name\n      comps: in\n      values: [zsh]\n  override:\n    exceptions: append\n- rule: Shell\n  exceptions:\n    - name: ok\n      values: [bash]\n  append: true\n", fires: []string{"sh"}, quiet: []string{"zsh", "bash"}, warn: "append: true is deprecated"},
		{name: "exceptions replace", extra: "- rule: Shell\n  exceptions:\n    - name: ok\n      fields: proc.name\n      values: [zsh]\n  override:\n    exceptions: append\n- rule: Shell\n  exceptions:\n    - name: other\n      fields: proc.name\n      values: [bash]\n  override:\n    exceptions: replace\n", fires: []string{"zsh"}, quiet: []string{"bash"}},
		{name: "exception with no values adds nothing", extra: "- rule: Shell\n  exceptions:\n    - name: ok\n      fields: [proc.name]\n      comps: [=]\n  override:\n    exceptions: append\n", fires: []string{"bash"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, res, err := load(t, base, tc.extra)
			if err != nil {
				t.Fatal(err)
			}
			// Overrides, appends and redefinitions merge into the items
			// they name: one rule, base's two macros, and base's lists
			// plus any new one the extra file defines.
			lists := map[string]bool{"shells": true, "more_shells": true}
			for _, m := range regexp.MustCompile(`- list: (\S+)`).FindAllStringSubmatch(tc.extra, -1) {
				lists[m[1]] = true
			}
			if res.Rules != 1 || res.Macros != 2 || res.Lists != len(lists) {
				t.Errorf("result counts %d rules, %d macros, %d lists; want 1, 2, %d", res.Rules, res.Macros, res.Lists, len(lists))
			}
			if want := min(len(tc.fires), 1); res.EnabledRules != want {
				t.Errorf("%d enabled rules, want %d", res.EnabledRules, want)
			}
			var deprecated []string
			for _, w := range res.Warnings() {
				if strings.Contains(w.String(), "deprecated") {
					deprecated = append(deprecated, w.String())
				}
			}
			if tc.warn == "" && len(deprecated) > 0 {
				t.Errorf("unexpected deprecation warnings %q", deprecated)
			}
			if tc.warn != "" && (len(deprecated) == 0 || !strings.Contains(deprecated[0], tc.warn)) {
				t.Errorf("deprecation warnings %q, want one saying %q", deprecated, tc.warn)
			}
			for _, n := range tc.fires {
				as := fire(t, rs, ev(t, "execve", "proc.name", n, "proc.pname", "crond"))
				if len(as) != 1 {
					t.Errorf("%s: did not fire", n)
					continue
				}
				if tc.output != "" && as[0].Output != tc.output {
					t.Errorf("output %q, want %q", as[0].Output, tc.output)
				}
				if tc.priority != "" && as[0].Priority.String() != tc.priority {
					t.Errorf("priority %s, want %s", as[0].Priority, tc.priority)
				}
				if tc.tags != "" && strings.Join(as[0].Tags, ",") != tc.tags {
					t.Errorf("tags %v, want %s", as[0].Tags, tc.tags)
				}
			}
			for _, n := range tc.quiet {
				if as := fire(t, rs, ev(t, "execve", "proc.name", n, "proc.pname", "crond")); len(as) != 0 {
					t.Errorf("%s: fired", n)
				}
			}
		})
	}
}

func TestRedefinedRuleKeepsPosition(t *testing.T) {
	rs := mustLoad(t, ruleYAML("A", "proc.name = x")+ruleYAML("B", "proc.name = x"), ruleYAML("A", "proc.name = x"))
	var got []string
	for _, r := range rs.Rules() {
		got = append(got, r.Name)
	}
	if strings.Join(got, ",") != "A,B" {
		t.Errorf("order %v", got)
	}
	if n := names(fire(t, rs, ev(t, "execve", "proc.name", "x"))); n != "A,B" {
		t.Errorf("fired %s, want A,B in file order", n)
	}
	// With rule_matching first only A fires.
	var first []string
	eng, _ := rs.NewEngine(EngineOptions{OnAlert: func(a *alertT) { first = append(first, a.Rule) }})
	eng.Process(ev(t, "execve", "proc.name", "x"), now())
	if strings.Join(first, ",") != "A" {
		t.Errorf("first match %v", first)
	}
}

func TestMacroVisibility(t *testing.T) {
	_, _, err := load(t, "- macro: a\n  condition: b\n- macro: b\n  condition: proc.name = x\n"+ruleYAML("r", "a"))
	if err == nil || !strings.Contains(err.Error(), `macro "b" is defined after this macro`) {
		t.Errorf("err %v", err)
	}
	// Rules see macros defined after them.
	mustLoad(t, ruleYAML("r", "later")+"- macro: later\n  condition: proc.name = x\n")
}

func TestSelectionAndPriority(t *testing.T) {
	rs := mustLoad(t, ruleYAML("net A", "proc.name = x")+
		"- rule: B\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: debug\n  tags: [noisy]\n")
	count := func(o EngineOptions) string {
		var got []string
		o.RuleMatching = MatchAll
		o.OnAlert = func(a *alertT) { got = append(got, a.Rule) }
		eng, err := rs.NewEngine(o)
		if err != nil {
			t.Fatal(err)
		}
		eng.Process(ev(t, "execve", "proc.name", "x"), now())
		return strings.Join(got, ",")
	}
	if g := count(EngineOptions{MinPriority: "notice"}); g != "net A" {
		t.Errorf("min priority: %s", g)
	}
	if g := count(EngineOptions{Selection: []Selection{{Enable: false, Tag: "noisy"}}}); g != "net A" {
		t.Errorf("disable tag: %s", g)
	}
	if g := count(EngineOptions{Selection: []Selection{{Rule: "*"}, {Enable: true, Rule: "net*"}}}); g != "net A" {
		t.Errorf("disable all, enable by pattern: %s", g)
	}
	if _, err := rs.NewEngine(EngineOptions{MinPriority: "loud"}); err == nil {
		t.Error("bad priority accepted")
	}
}

func TestOutputFormatting(t *testing.T) {
	rs := mustLoad(t, "- rule: r\n  desc: d\n  condition: evt.type = connect\n  output: 'c %proc.name pid=%proc.pid ip=%(fd.sip) arg=%evt.arg.flags up=%proc.aname[1] ok=%fd.connected 100%'\n  priority: notice\n  tags: [a]\n")
	as := fire(t, rs, ev(t, "connect", "proc.name", "curl", "proc.pid", int64(42), "fd.connected", true))
	if len(as) != 1 {
		t.Fatal("no alert")
	}
	a := as[0]
	if a.Output != "c curl pid=42 ip=<NA> arg=<NA> up=<NA> ok=true 100%" {
		t.Errorf("output %q", a.Output)
	}
	b, _ := a.MarshalJSON()
	want := `"output_fields":{"proc.name":"curl","proc.pid":42,"fd.sip":null,"evt.arg.flags":null,"proc.aname[1]":null,"fd.connected":true}`
	if !strings.Contains(string(b), want) {
		t.Errorf("json %s\nwant %s", b, want)
	}
	if a.Source != "syscall" || a.Priority.String() != "Notice" {
		t.Errorf("alert %+v", a)
	}
}

func TestUnknownSourceAndSkipUnknownFilter(t *testing.T) {
	_, res, err := load(t, "- rule: p\n  desc: d\n  condition: x.y = 1\n  output: o\n  priority: info\n  source: aws_cloudtrail\n"+
		"- rule: q\n  desc: d\n  condition: proc.nosuch = 1\n  output: o\n  priority: info\n  skip-if-unknown-filter: true\n")
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != 2 || res.EnabledRules != 0 {
		t.Errorf("skipped %d enabled %d", res.Skipped, res.EnabledRules)
	}
	ws := res.Warnings()
	joined := ""
	for _, w := range ws {
		joined += w.String() + "\n"
	}
	if !strings.Contains(joined, `unknown source "aws_cloudtrail"`) || !strings.Contains(joined, "skip-if-unknown-filter") {
		t.Errorf("warnings:\n%s", joined)
	}
}

func TestWarnings(t *testing.T) {
	_, res, err := load(t, "- list: unused_l\n  items: [a]\n- macro: unused_m\n  condition: proc.name = a\n"+ruleYAML("all types", "proc.name = a")+
		"- rule: quiet\n  desc: d\n  condition: proc.name = b\n  output: o\n  priority: info\n  warn_evttypes: false\n")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range res.Warnings() {
		got = append(got, w.String())
	}
	j := strings.Join(got, "\n")
	for _, want := range []string{"list 'unused_l': list is not used", "macro 'unused_m': macro is not used", "rule 'all types': rule matches too many evt.type values"} {
		if !strings.Contains(j, want) {
			t.Errorf("missing warning %q in\n%s", want, j)
		}
	}
	if strings.Contains(j, "rule 'quiet'") {
		t.Errorf("warn_evttypes: false ignored:\n%s", j)
	}
}

func TestVersions(t *testing.T) {
	if _, _, err := load(t, "- required_engine_version: 0.99.0\n"); err == nil || !strings.Contains(err.Error(), "require engine version 0.99.0") {
		t.Errorf("engine version: %v", err)
	}
	if _, _, err := load(t, "- required_engine_version: 15\n- required_plugin_versions:\n  - name: container\n    version: 0.4.0\n  - name: k8saudit-eks\n    version: 0.1.0\n    alternatives:\n      - name: k8saudit\n        version: 0.1.0\n"); err != nil {
		t.Errorf("satisfied requirements: %v", err)
	}
	if _, _, err := load(t, "- required_plugin_versions:\n  - name: container\n    version: 9.0.0\n"); err == nil {
		t.Error("too new a plugin version accepted")
	}
	_, res, err := load(t, "- required_plugin_versions:\n  - name: cloudtrail\n    version: 0.1.0\n")
	if err != nil || len(res.Warnings()) != 1 {
		t.Errorf("unknown plugin: %v %v", err, res.Warnings())
	}
}

func TestFalcoLoaderDetails(t *testing.T) {
	// A macro redefined in a later file may use macros defined before the
	// redefinition (Falco's visibility), the usual local-rules pattern.
	rs := mustLoad(t, base, "- macro: mine\n  condition: proc.name = fish\n- macro: shell\n  condition: mine\n  override:\n    condition: replace\n")
	if len(fire(t, rs, ev(t, "execve", "proc.name", "fish"))) != 1 {
		t.Error("redefined macro using a later macro does not fire")
	}
	// ... which makes cycles possible: they are errors, not hangs.
	_, _, err := load(t, "- macro: a\n  condition: proc.name = x\n- macro: b\n  condition: a\n- macro: a\n  condition: b\n  override:\n    condition: replace\n"+ruleYAML("r", "a"))
	if err == nil || !strings.Contains(err.Error(), "uses itself") {
		t.Errorf("cycle: %v", err)
	}

	// Several YAML documents, and empty entries.
	rs, res, err := load(t, ruleYAML("one", "proc.name = a")+"-\n---\n"+ruleYAML("two", "proc.name = a"))
	if err != nil || res.Rules != 2 {
		t.Fatalf("multi-document: %v, %d rules", err, res.Rules)
	}

	// Outputs are trimmed; tags are a sorted set.
	rs = mustLoad(t, "- rule: r\n  desc: d\n  condition: proc.name = a\n  output: >\n    out %proc.name\n  priority: info\n  tags: [b, a, b]\n")
	as := fire(t, rs, ev(t, "execve", "proc.name", "a"))
	if len(as) != 1 || as[0].Output != "out a" || strings.Join(as[0].Tags, ",") != "a,b" {
		t.Errorf("alert %+v", as)
	}

	// append: true appends the condition only, and says so.
	_, res, err = load(t, base, "- rule: Shell spawned\n  condition: and proc.name != zsh\n  output: ignored\n  append: true\n")
	if err == nil {
		t.Error("append to an unknown rule accepted")
	}
	rs, res, err = load(t, base, "- rule: Shell\n  condition: and proc.name != zsh\n  output: ignored\n  append: true\n- rule: Shell\n  enabled: true\n")
	if err != nil {
		t.Fatal(err)
	}
	if as := fire(t, rs, ev(t, "execve", "proc.name", "bash")); len(as) != 1 || as[0].Output != "shell bash" {
		t.Errorf("append: true changed the output: %+v", as)
	}
	var ws []string
	for _, w := range res.Warnings() {
		ws = append(ws, w.String())
	}
	j := strings.Join(ws, "\n")
	for _, want := range []string{"append: true is deprecated", `key "output" is ignored with append: true`, "only enabled is deprecated"} {
		if !strings.Contains(j, want) {
			t.Errorf("missing warning %q in\n%s", want, j)
		}
	}
}

func TestFalcoLoaderErrors(t *testing.T) {
	for _, tc := range []struct{ name, file, want string }{
		{"redefined with another source", ruleYAML("r", "proc.name = a") + "- rule: r\n  desc: d\n  condition: ka.verb = get\n  output: o\n  priority: info\n  source: k8s_audit\n", "redefined with source k8s_audit but was defined with source syscall"},
		{"single-field exception with =", "- rule: r\n  desc: d\n  condition: proc.name = a\n  output: o\n  priority: info\n  exceptions:\n    - name: e\n      fields: proc.name\n      comps: =\n      values: [a]\n", "comps must be in, pmatch or intersects"},
		{"macro name", "- macro: my-macro\n  condition: proc.name = a\n", `macro name "my-macro" is not an identifier`},
		{"enabled-only without enabled", "- rule: r\n  tags: [x]\n", "missing required key(s) condition, output, desc, priority (or enabled"},
	} {
		_, _, err := load(t, tc.file)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestListNamesAsValues(t *testing.T) {
	rs := mustLoad(t, "- list: one\n  items: [vim]\n- list: two\n  items: [a, b]\n"+
		ruleYAML("eq", "proc.name = one")+
		"- rule: exc\n  desc: d\n  condition: proc.name in (vim, emacs, 'my editor')\n  output: o\n  priority: info\n  exceptions:\n    - name: e\n      fields: [proc.name, proc.pname]\n      comps: [=, in]\n      values:\n        - [one, two]\n        - [my editor, [x]]\n")
	for _, tc := range []struct {
		name, pname, want string
	}{
		{"vim", "a", "eq"},     // exception: vim from a is excepted
		{"vim", "z", "eq,exc"}, // not excepted
		{"emacs", "a", "exc"},  // one = vim only
		{"my editor", "x", ""}, // value with a space
		{"my editor", "y", "exc"},
	} {
		if got := names(fire(t, rs, ev(t, "execve", "proc.name", tc.name, "proc.pname", tc.pname))); got != tc.want {
			t.Errorf("%s from %s fired %q, want %q", tc.name, tc.pname, got, tc.want)
		}
	}
	if _, _, err := load(t, "- list: two\n  items: [a, b]\n"+ruleYAML("r", "proc.name = two")); err == nil || !strings.Contains(err.Error(), `list "two" has 2 items and cannot be a single value`) {
		t.Errorf("multi-item list as value: %v", err)
	}
}
