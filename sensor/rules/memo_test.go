package rules

import (
	"strings"
	"testing"
	"time"
)

// Subexpressions several rules share are evaluated once per event; every
// rule still matches exactly the events it matches when loaded alone (no
// sharing), across event types whose evt.type tests fold differently per
// rule, negations, nesting, and one engine reused from event to event.
func TestSharedSubexpressionsMatchAlone(t *testing.T) {
	macros := `- macro: opened
  condition: (evt.type in (open, openat) and evt.is_open_read = true and fd.num >= 0)
- macro: etc
  condition: (fd.name startswith /etc/ or fd.directory = /etc)
`
	rules := map[string]string{
		"a": "opened and etc",
		"b": "opened and not etc and proc.name = cat",
		"c": "evt.type = openat and opened and (etc or proc.name = cat)",
		"d": "evt.type in (open, openat, execve) and not opened and etc",
		"e": "evt.type = execve and (etc or proc.name = cat)",
		"f": "(opened or etc) and (opened or etc) and proc.name != ls",
	}
	var all strings.Builder
	all.WriteString(macros)
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		all.WriteString(ruleYAML(n, rules[n]))
	}
	all.WriteString(ruleYAML("disabled", "opened and etc") + "  enabled: false\n")
	shared := mustLoad(t, all.String())
	nShared := 0
	for _, m := range shared.programs["syscall"].memos {
		if m.shared {
			nShared++
		}
	}
	if nShared < 3 {
		t.Fatalf("%d shared subexpressions, want opened, etc and (etc or proc.name = cat) at least", nShared)
	}
	var got []string
	eng, err := shared.NewEngine(EngineOptions{RuleMatching: MatchAll, OnAlert: func(a *alertT) { got = append(got, a.Rule) }})
	if err != nil {
		t.Fatal(err)
	}
	alone := map[string]*Ruleset{}
	for n, c := range rules {
		alone[n] = mustLoad(t, macros+ruleYAML(n, c))
	}
	events := 0
	for _, typ := range []string{"open", "openat", "execve", "connect"} {
		for _, read := range []bool{true, false} {
			for _, num := range []int{3, -1, 99} {
				for _, file := range []string{"/etc/passwd", "/tmp/x"} {
					for _, comm := range []string{"cat", "ls"} {
						kv := []any{"evt.is_open_read", read, "fd.name", file, "fd.directory", file[:strings.LastIndexByte(file, '/')], "proc.name", comm}
						if num != 99 { // 99: no fd.num
							kv = append(kv, "fd.num", num)
						}
						e := ev(t, typ, kv...)
						got = got[:0]
						eng.Process(e, time.Unix(0, 0))
						var want []string
						for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
							if len(fire(t, alone[n], e)) > 0 {
								want = append(want, n)
							}
						}
						if strings.Join(got, ",") != strings.Join(want, ",") {
							t.Errorf("%s read=%v num=%d %s %s: shared ruleset matched %v, rules alone %v", typ, read, num, file, comm, got, want)
						}
						events++
					}
				}
			}
		}
	}
	if events != 96 {
		t.Fatalf("%d events", events)
	}
}
