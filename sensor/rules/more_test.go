package rules

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sakersec/saker/sensor/alert"
)

func TestLoadDirectoryInOrder(t *testing.T) {
	dir := t.TempDir()
	// b.yaml appends to a list a.yaml defines: it must load second.
	files := map[string]string{
		"a.yaml":     "- list: l\n  items: [x]\n" + ruleYAML("r", "proc.name in (l)"),
		"b.yaml":     "- list: l\n  items: [y]\n  override:\n    items: append\n",
		"ignored.md": "not rules",
	}
	for n, d := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rs, res, err := Load(LoadOptions{Files: []string{dir}, Sources: testRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 2 || !strings.HasSuffix(res.Files[0].Name, "a.yaml") {
		t.Errorf("files %+v", res.Files)
	}
	if len(fire(t, rs, ev(t, "execve", "proc.name", "y"))) != 1 {
		t.Error("appended item does not match")
	}
	if _, _, err := Load(LoadOptions{Files: []string{filepath.Join(dir, "missing.yaml")}}); err == nil || !strings.Contains(err.Error(), "missing.yaml: cannot read rules") {
		t.Errorf("missing file: %v", err)
	}
}

// As in Falco, disabled rules are compiled: their errors fail the load.
func TestDisabledRulesAreCompiled(t *testing.T) {
	_, _, err := load(t, "- rule: off\n  desc: d\n  condition: proc.nosuch = 1\n  output: o\n  priority: info\n  enabled: false\n")
	if err == nil || !strings.Contains(err.Error(), "f0.yaml:3:14: rule 'off': unknown field proc.nosuch") {
		t.Errorf("err %v", err)
	}
}

func TestContainerInfoAndEvttypeWarnings(t *testing.T) {
	rs, res, err := load(t, "- rule: r\n  desc: d\n  condition: evt.type != open and proc.name = a\n  output: x %container.info y\n  priority: info\n")
	if err != nil {
		t.Fatal(err)
	}
	var ws []string
	for _, w := range res.Warnings() {
		ws = append(ws, w.String())
	}
	j := strings.Join(ws, "\n")
	if !strings.Contains(j, "%container.info is deprecated") || !strings.Contains(j, "too many evt.type values") {
		t.Errorf("warnings:\n%s", j)
	}
	if as := fire(t, rs, ev(t, "execve", "proc.name", "a")); len(as) != 1 || as[0].Output != "x  y" {
		t.Errorf("alerts %+v", as)
	}
}

// Engines built from one ruleset run concurrently (go test -race checks
// that the shared compiled state is read-only).
func TestEnginesShareRuleset(t *testing.T) {
	rs := mustLoad(t, base)
	var wg sync.WaitGroup
	counts := make([]int, 4)
	for g := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			eng, err := rs.NewEngine(EngineOptions{OnAlert: func(*alert.Alert) { counts[g]++ }})
			if err != nil {
				t.Error(err)
				return
			}
			e := ev(t, "execve", "proc.name", "bash")
			for i := 0; i < 1000; i++ {
				eng.Process(e, time.Time{})
			}
		}()
	}
	wg.Wait()
	for g, c := range counts {
		if c != 1000 {
			t.Errorf("engine %d: %d alerts", g, c)
		}
	}
}

// Per-event evaluation does not allocate, also with transformers and
// multi-valued fields.
func TestProcessDoesNotAllocate(t *testing.T) {
	rs := mustLoad(t, ruleYAML("r", "evt.type = openat and tolower(proc.name) in (vim, nano) and not fd.types intersects (unix) and basename(fd.name) glob '*.conf'"))
	eng, err := rs.NewEngine(EngineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := ev(t, "openat", "proc.name", "BASH", "fd.types", []string{"file"}, "fd.name", "/etc/x.conf")
	allocs := testing.AllocsPerRun(1000, func() { eng.Process(e, time.Time{}) })
	if allocs != 0 {
		t.Errorf("%v allocations per event", allocs)
	}
}

// evt.type tests the index decides fold to constants; the others stay.
func TestEventTypeFolding(t *testing.T) {
	rs := mustLoad(t, ruleYAML("r", "(evt.type = open and proc.name = a) or (evt.type = execve and proc.name = b) or (evt.type in (open, execve) and proc.name = c)"))
	for _, tc := range []struct {
		typ, name string
		want      bool
	}{
		{"open", "a", true}, {"execve", "a", false}, {"execve", "b", true}, {"open", "b", false},
		{"open", "c", true}, {"execve", "c", true}, {"openat", "a", false}, {"openat", "c", false},
	} {
		if got := len(fire(t, rs, ev(t, tc.typ, "proc.name", tc.name))) == 1; got != tc.want {
			t.Errorf("%s %s: fired %v, want %v", tc.typ, tc.name, got, tc.want)
		}
	}
	r, _ := rs.Rule("r")
	if strings.Join(r.EventTypes, ",") != "open,execve" {
		t.Errorf("event types %v", r.EventTypes)
	}
}

func TestEngineStats(t *testing.T) {
	rs := mustLoad(t, base)
	eng, err := rs.NewEngine(EngineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eng.Process(ev(t, "execve", "proc.name", "bash"), time.Time{})
	eng.Process(ev(t, "execve", "proc.name", "vim"), time.Time{})
	eng.Process(ev(t, "execve", "proc.name", "sh"), time.Time{})
	st := eng.Stats()
	if st.Events != 3 || st.Matches["Shell"] != 2 || len(st.Matches) != 1 {
		t.Errorf("stats %+v", st)
	}
}
