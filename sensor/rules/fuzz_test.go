package rules

import (
	"testing"
	"time"
)

func FuzzLoadRules(f *testing.F) {
	f.Add([]byte(base))
	f.Add([]byte(ruleYAML("r", "proc.name in (a, b) and fd.num >= 0 and not fd.name pmatch (/etc)")))
	f.Add([]byte("- list: l\n  items: [a, '\"b\"']\n- macro: m\n  condition: proc.name in (l)\n- rule: r\n  desc: d\n  condition: m\n  output: '%proc.name %(fd.name)'\n  priority: info\n  exceptions:\n    - name: e\n      fields: [proc.name, fd.name]\n      comps: [=, in]\n      values: [[a, [x, y]]]\n"))
	f.Add([]byte("- rule: r\n  condition: and x\n  override:\n    condition: append\n"))
	f.Add([]byte("- required_engine_version: 10\n- required_plugin_versions:\n  - name: json\n    version: 0.1.0\n"))
	f.Add([]byte("- macro: a\n  condition: &x (proc.name = a)\n- macro: b\n  condition: *x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, _, err := Load(LoadOptions{Contents: []Content{{Name: "fuzz.yaml", Data: data}}, Sources: testRegistry()})
		if err != nil {
			return
		}
		// A ruleset that loads evaluates without panicking.
		eng, err := rs.NewEngine(EngineOptions{RuleMatching: MatchAll})
		if err != nil {
			t.Fatal(err)
		}
		eng.Process(ev(t, "execve", "proc.name", "a", "fd.name", "/etc/x"), time.Time{})
		eng.Process(ev(t, ""), time.Time{})
	})
}
