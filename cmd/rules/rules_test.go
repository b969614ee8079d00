package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/sensor/rules"
)

const good = `- list: shells
  items: [bash, sh]
- macro: spawned
  condition: evt.type in (execve, execveat)
- rule: Shell spawned
  desc: a shell started
  condition: spawned and proc.name in (shells)
  output: shell %proc.name
  priority: notice
  tags: [shell]
`

func write(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidate(t *testing.T) {
	ok := write(t, "good.yaml", good)
	bad := write(t, "bad.yaml", "- rule: Shell spawned\n  condition: and fd.nosuch = 1\n  override:\n    condition: append\n")
	var out bytes.Buffer
	if err := runValidate(&out, &ValidateOptions{Files: []string{ok}}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), ok+": OK (1 rules, 1 macros, 1 lists)") || !strings.Contains(out.String(), "served built-in") {
		t.Errorf("output:\n%s", out.String())
	}
	out.Reset()
	err := runValidate(&out, &ValidateOptions{Files: []string{ok, bad}})
	if !errors.Is(err, ErrValidation) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{ok + ": OK", bad + ": INVALID (1 error(s))", bad + ":2:18: rule 'Shell spawned': unknown field fd.nosuch"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := runValidate(&out, &ValidateOptions{Files: []string{bad}, Output: "json"}); !errors.Is(err, ErrValidation) {
		t.Errorf("json output: err %v, want ErrValidation", err)
	}
	var res rules.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || len(res.Files) != 1 || len(res.Files[0].Errors) != 1 {
		t.Errorf("json: %v %s", err, out.String())
	}
}

func TestValidateStock(t *testing.T) {
	p := testutil.Upstream(t, "rules/falco_rules.yaml")
	var out bytes.Buffer
	if err := runValidate(&out, &ValidateOptions{Files: []string{p}}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Loaded 25 rules (25 enabled, 0 skipped), 87 macros, 49 lists: 0 error(s)") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestListAndDescribe(t *testing.T) {
	p := write(t, "good.yaml", good)
	var out bytes.Buffer
	if err := runList(&out, &ListOptions{Files: []string{p}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Shell spawned") || !strings.Contains(out.String(), "Notice") {
		t.Errorf("list:\n%s", out.String())
	}
	out.Reset()
	if err := runList(&out, &ListOptions{Files: []string{p}, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var list []rules.Rule
	if err := json.Unmarshal(out.Bytes(), &list); err != nil || len(list) != 1 || list[0].Priority.String() != "Notice" {
		t.Errorf("list json %v: %s", err, out.String())
	}
	out.Reset()
	if err := runDescribe(&out, &DescribeOptions{Name: "Shell spawned", Files: []string{p}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Event types: execve, execveat", "Priority:    Notice", "Defined:     " + p + ":5"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("describe missing %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := runDescribe(&out, &DescribeOptions{Name: "shells", Files: []string{p}}); err != nil || !strings.Contains(out.String(), "bash, sh") {
		t.Errorf("describe list: %v %s", err, out.String())
	}
	if err := runDescribe(&out, &DescribeOptions{Name: "nope", Files: []string{p}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("describe unknown: %v", err)
	}
}

func TestFields(t *testing.T) {
	var out bytes.Buffer
	if err := runFields(&out, &FieldsOptions{Source: "syscall"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "proc.aname[N]?") || strings.Contains(out.String(), "ka.verb") {
		t.Errorf("fields:\n%.500s", out.String())
	}
	if err := runFields(&out, &FieldsOptions{Source: "nope"}); err == nil {
		t.Error("unknown source accepted")
	}
}
