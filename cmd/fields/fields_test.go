package fields_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sakersec/saker/cmd/fields"
	"github.com/sakersec/saker/internal/clitest"
	"github.com/sakersec/saker/sensor/rules"
)

// runCLI runs sakerctl in-process: stdout, stderr and the exit code.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return clitest.Run(t, args...)
}

func TestListJSON(t *testing.T) {
	out, errOut, code := runCLI(t, "fields", "list", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var list []fields.Field
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	byName := map[string]fields.Field{}
	for _, f := range list {
		byName[f.Source+"/"+f.Name] = f
	}
	if f := byName["syscall/proc.aname"]; f.Arg != "index" || f.ArgRequired || f.Values != "any" || f.Type != "string" {
		t.Errorf("proc.aname: %+v, want an optional index, any-of string", f)
	}
	if f := byName["syscall/evt.arg"]; f.Arg != "key" || !f.ArgRequired {
		t.Errorf("evt.arg: %+v, want a required key", f)
	}
	if f, ok := byName["k8s_audit/ka.verb"]; !ok || f.Arg != "none" || f.Desc == "" {
		t.Errorf("ka.verb: %+v (present %v)", f, ok)
	}
	if f := byName["syscall/proc.pid"]; f.Type != "int64" {
		t.Errorf("proc.pid type %q", f.Type)
	}
}

func TestListText(t *testing.T) {
	out, _, code := runCLI(t, "fields", "list", "--source", "k8s_audit")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out, "Source k8s_audit") || !strings.Contains(out, "ka.verb ") || strings.Contains(out, "proc.name") {
		t.Errorf("k8s_audit listing:\n%s", out)
	}
	out, _, _ = runCLI(t, "fields", "list", "-s", "syscall", "-v")
	for _, want := range []string{"proc.aname[N]?\n", "argument: optional index, proc.aname[N]", "example:  proc.aname[2] = sshd", "evt.arg[KEY]\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("-v output lacks %q", want)
		}
	}
	_, errOut, code := runCLI(t, "fields", "list", "--source", "plugins")
	if code == 0 || !strings.Contains(errOut, "syscall, k8s_audit") {
		t.Errorf("unknown source: exit %d, %q", code, errOut)
	}
}

// Every example the listing shows is a condition that compiles against
// its source, so users can paste it.
func TestExamplesCompile(t *testing.T) {
	all, err := fields.Fields("")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range all {
		if strings.Contains(f.Example, "[KEY]") {
			continue // a placeholder the user fills in
		}
		if _, err := rules.CompileFilter(rules.FilterOptions{Condition: f.Example, Source: f.Source}); err != nil {
			t.Errorf("%s/%s: example %q: %v", f.Source, f.Name, f.Example, err)
		}
	}
}
