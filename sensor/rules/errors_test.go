package rules

import (
	"strings"
	"testing"
)

func TestErrorPositions(t *testing.T) {
	for _, tc := range []struct {
		name, file, want string
	}{
		{"unknown field in a plain condition", `
- rule: r
  desc: d
  condition: evt.type = open and proc.nosuch = 1
  output: o
  priority: info
`, "f0.yaml:4:34: rule 'r': unknown field proc.nosuch in source syscall"},
		{"unknown field in a folded condition", `
- rule: r
  desc: d
  condition: >
    evt.type = open
    and proc.nosuch = 1
  output: o
  priority: info
`, "f0.yaml:6:9: rule 'r': unknown field proc.nosuch"},
		{"error inside a macro locates in the macro", `
- macro: m
  condition: (fd.num > abc)
- rule: r
  desc: d
  condition: m
  output: o
  priority: info
`, `f0.yaml:3:24: rule 'r': fd.num is a int64 field: "abc" is not a number`},
		{"syntax error", `
- rule: r
  desc: d
  condition: proc.name = a and (proc.name = b
  output: o
  priority: info
`, "f0.yaml:4:46: rule 'r': expected ) to close the ( at offset 18"},
		{"undefined macro", `
- rule: r
  desc: d
  condition: proc.name = a and nosuch
  output: o
  priority: info
`, `f0.yaml:4:32: rule 'r': undefined macro "nosuch"`},
		{"bad output field", `
- rule: r
  desc: d
  condition: proc.name = a
  output: "x %proc.nosuch"
  priority: info
`, "f0.yaml:5:14: rule 'r': output: unknown field proc.nosuch"},
		{"missing keys", `
- rule: r
  desc: d
`, "f0.yaml:2:3: rule 'r': rule is missing required key(s) condition, output, priority"},
		{"bad priority", `
- rule: r
  desc: d
  condition: proc.name = a
  output: o
  priority: loud
`, `f0.yaml:6:13: rule 'r': unknown priority "loud"`},
		{"append to nothing", `
- rule: r
  condition: and proc.name = a
  append: true
`, `f0.yaml:2:3: rule 'r': rule has append or override but no rule "r" is defined before it`},
		{"bad override mode", `
- macro: m
  condition: proc.name = a
- macro: m
  condition: or proc.name = b
  override:
    condition: prepend
`, `f0.yaml:7:16: macro 'm': override of "condition" must be append or replace, got "prepend"`},
		{"override misses a key", `
- list: l
  items: [a]
- list: l
  items: [b]
  override: {}
`, `f0.yaml:5:3: list 'l': key "items" is set but not listed under override`},
		{"not a list", "rule: x\n", "f0.yaml:1:1: a rules file must be a YAML list"},
		{"invalid YAML", "- rule: [\n", "f0.yaml:1:1: invalid YAML"},
		{"exception arity", `
- rule: r
  desc: d
  condition: proc.name = a
  output: o
  priority: info
  exceptions:
    - name: e
      fields: [proc.name, proc.pname]
      values:
        - [a]
`, `f0.yaml:11:11: rule 'r': exception "e": value has 1 entries but the exception has 2 fields`},
		{"exception unknown field", `
- rule: r
  desc: d
  condition: proc.name = a
  output: o
  priority: info
  exceptions:
    - name: e
      fields: [proc.nosuch]
      values:
        - [a]
`, `f0.yaml:8:7: rule 'r': exception "e": unknown field "proc.nosuch"`},
		{"exception bad comp, no values", `
- rule: r
  desc: d
  condition: proc.name = a
  output: o
  priority: info
  exceptions:
    - name: e
      fields: [proc.name]
      comps: [like]
`, `f0.yaml:8:7: rule 'r': exception "e": "like" is not an operator`},
		{"exception unknown field, no values", `
- rule: r
  desc: d
  condition: proc.name = a
  output: o
  priority: info
  exceptions:
    - name: e
      fields: [proc.nosuch]
`, `f0.yaml:8:7: rule 'r': exception "e": unknown field "proc.nosuch"`},
		{"list used as macro", `
- list: l
  items: [a]
- rule: r
  desc: d
  condition: l
  output: o
  priority: info
`, `f0.yaml:6:14: rule 'r': "l" is a list, not a macro`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, res, err := load(t, tc.file)
			if err == nil {
				t.Fatal("no error")
			}
			errs := res.Errors()
			var got []string
			for _, d := range errs {
				got = append(got, d.String())
			}
			j := strings.Join(got, "\n")
			if !strings.Contains(j, tc.want) {
				t.Errorf("errors:\n%s\nwant one containing:\n%s", j, tc.want)
			}
		})
	}
}

func TestBadFileKeepsOthersReported(t *testing.T) {
	_, res, err := load(t, ruleYAML("good", "proc.name = a"), "- rule: bad\n  desc: d\n  condition: proc.name =\n  output: o\n  priority: info\n")
	if err == nil {
		t.Fatal("no error")
	}
	if len(res.Files) != 2 || !res.Files[0].OK() || res.Files[1].OK() {
		t.Errorf("per-file results %+v", res.Files)
	}
}
