package rules_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/clitest"
	"github.com/sakersec/saker/internal/testutil"
)

// runCLI runs sakerctl in-process: stdout, stderr and the exit code.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return clitest.Run(t, args...)
}

// The seed scenarios recorded on a test machine raise exactly the alerts
// Saker's embedded rules promise, through `sakerctl rules test`.
func TestRulesTestSeedScenarios(t *testing.T) {
	dir := filepath.Join(testutil.RepoRoot(), "testdata", "ruletests")
	out, errOut, code := runCLI(t, "rules", "test", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"PASS " + dir + "/files.yaml:5: cat reads /etc/shadow (",
		"alerts: Sensitive file read by untrusted program ×1)",
		"alerts: Write below etc ×1)",
		"alerts: Regular file created in dev ×1)",
		"alerts: Program run from memory ×1)",
		"alerts: Shell spawned by a non-shell program ×1)",
		"a container's entrypoint shell reads /etc/shadow (438 events, alerts: Sensitive file read by untrusted program ×1)",
		"alerts: System binary connecting out ×1)",
		"alerts: Exec into pod ×1)",
		"10 test(s): 10 passed, 0 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// Wrong expectations fail with a report that says what differs, and the
// command exits non-zero.
func TestRulesTestFailures(t *testing.T) {
	file := filepath.Join(testutil.RepoRoot(), "testdata", "ruletests", "failing", "wrong_expectations.yaml")
	out, errOut, code := runCLI(t, "rules", "test", file)
	if code == 0 {
		t.Fatalf("exit 0 for failing tests:\n%s", out)
	}
	for _, want := range []string{
		"FAIL " + file + ":5: expects a rule that does not fire",
		`expected at least 1 alert(s) of "Write below etc", got 0`,
		`expected exactly 2 alert(s) of "Sensitive file read by untrusted program", got 1`,
		`first difference: fd.name is "/etc/shadow", want "/etc/passwd"`,
		`forbidden rule "Write below etc" fired 1 time(s); first: File below /etc opened for writing (file=/etc/saker-ruletest.conf`,
		`expected rule "sensitive file read" is not in the loaded rules; did you mean "Sensitive file read by untrusted program"?`,
		"alert: Warning Sensitive file read by untrusted program: Sensitive file opened for reading (file=/etc/shadow",
		"4 test(s): 0 passed, 4 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "rule tests failed: 4 of 4 failed") {
		t.Errorf("stderr: %q", errOut)
	}

	out, _, code = runCLI(t, "rules", "test", "-o", "json", file)
	var rep struct {
		Summary struct{ Tests, Passed, Failed int }
		Results []struct {
			Name     string
			Pass     bool
			Failures []string
			Alerts   map[string]int
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code == 0 {
		t.Fatalf("json report (exit %d): %v\n%s", code, err, out)
	}
	if rep.Summary.Failed != 4 || len(rep.Results) != 4 || rep.Results[1].Alerts["Sensitive file read by untrusted program"] != 1 || len(rep.Results[1].Failures) != 2 {
		t.Errorf("json report: %+v", rep)
	}
}

// Broken test files are reported with their location, and the other
// files still run.
func TestRulesTestBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	capture := filepath.Join(testutil.RepoRoot(), "testdata", "captures", "read_shadow.trace")
	typo := write("typo.yaml", "tests:\n  - name: t\n    capture: "+capture+"\n    rules: [embedded]\n    expect:\n      - rule: Write below etc\n        min-count: 1\n")
	noEvents := write("noevents.yaml", "rules: [embedded]\ntests:\n  - name: nothing\n    forbid: [Write below etc]\n")
	badRules := write("badrules.yaml", "tests:\n  - name: r\n    capture: "+capture+"\n    rules: [broken.yaml]\n    no_other_alerts: true\n")
	write("broken.yaml", "- rule: x\n  desc: x\n  condition: proc.nme = cat\n  output: x\n  priority: WARNING\n")
	missing := write("missing.yaml", "tests:\n  - name: m\n    capture: nosuch.trace\n    rules: [embedded]\n    no_other_alerts: true\n")
	good := write("good.yaml", "tests:\n  - name: g\n    capture: "+capture+"\n    rules: [embedded]\n    expect: [{rule: Sensitive file read by untrusted program}]\n")

	out, _, code := runCLI(t, "rules", "test", typo, noEvents, badRules, missing, good)
	if code == 0 {
		t.Fatalf("exit 0:\n%s", out)
	}
	for _, want := range []string{
		typo + `:7: unknown key "min-count" in an expect entry (rule, count, min_count, output_fields)`,
		noEvents + `:3: tests[0] (nothing): no events: set capture (a trace file) or audit_events (JSON files)`,
		`the rules do not load:`,
		filepath.Join(dir, "broken.yaml") + `:3:14: rule 'x': unknown field proc.nme`,
		"capture nosuch.trace: trace file: open " + filepath.Join(dir, "nosuch.trace") + ": no such file or directory",
		"PASS " + good + ":2: g",
		"5 test(s): 1 passed, 4 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
