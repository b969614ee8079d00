package rules

import (
	"errors"
	"strings"
	"testing"
)

func TestCompileFilter(t *testing.T) {
	macros := Content{Name: "m.yaml", Data: []byte("- list: readers\n  items: [cat, less]\n- macro: opened\n  condition: evt.type in (open, openat)\n")}
	f, err := CompileFilter(FilterOptions{Condition: "opened and proc.name in (readers) and fd.name startswith /etc/", Sources: testRegistry(), Contents: []Content{macros}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ev   *mapEvent
		want bool
	}{
		{ev(t, "openat", "proc.name", "cat", "fd.name", "/etc/shadow"), true},
		{ev(t, "openat", "proc.name", "vi", "fd.name", "/etc/shadow"), false},
		{ev(t, "execve", "proc.name", "cat", "fd.name", "/etc/shadow"), false},
		{ev(t, "open", "proc.name", "less"), false}, // no fd.name: the comparison is false
	} {
		if got := f.Match(c.ev); got != c.want {
			t.Errorf("%v: match %v, want %v", c.ev.vals, got, c.want)
		}
	}
	all, err := CompileFilter(FilterOptions{Condition: "  "})
	if err != nil || !all.Match(ev(t, "close")) {
		t.Errorf("empty filter: %v", err)
	}
}

func TestCompileFilterErrors(t *testing.T) {
	for cond, want := range map[string]string{
		"proc.nme = cat":                       `column 1: unknown field proc.nme`,
		"proc.name = cat and":                  "column",
		"proc.pid = abc":                       "proc.pid",
		"evt.type = open and evt.type = close": "", // compiles, warns
	} {
		f, err := CompileFilter(FilterOptions{Condition: cond, Sources: testRegistry()})
		if want == "" {
			if err != nil || len(f.Warnings) == 0 {
				t.Errorf("%q: err %v, warnings %v", cond, err, f)
			}
			continue
		}
		if !errors.Is(err, ErrFilter) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want ErrFilter mentioning %q", cond, err, want)
		}
	}
	if _, err := CompileFilter(FilterOptions{Condition: "ka.verb = get", Source: "nosuch"}); !errors.Is(err, ErrFilter) || !strings.Contains(err.Error(), "known sources") {
		t.Errorf("unknown source: %v", err)
	}
	if _, err := CompileFilter(FilterOptions{Condition: "ka.verb = get", Source: "k8s_audit"}); err != nil {
		t.Errorf("k8s_audit filter: %v", err)
	}
}
