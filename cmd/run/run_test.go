package run

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/sensor/config"
	"github.com/sakersec/saker/sensor/runner"
)

func TestDryRunStockRules(t *testing.T) {
	rulesFile := testutil.Upstream(t, "rules/falco_rules.yaml")
	cfgFile := testutil.Upstream(t, "falco.yaml")
	var out bytes.Buffer
	err := Run(context.Background(), &Options{ConfigFile: cfgFile, RulesFiles: []string{rulesFile}, DryRun: true, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.Contains(s, "Rules: 25 of 25 enabled") || !strings.Contains(s, "openat") || !strings.Contains(s, "execve") {
		t.Errorf("dry run output:\n%s", s)
	}
}

func TestDryRunErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("- rule: r\n  desc: d\n  condition: proc.nosuch = 1\n  output: o\n  priority: WARNING\n"), 0o644)
	empty := filepath.Join(dir, "falco.yaml")
	os.WriteFile(empty, []byte("{}\n"), 0o644)
	var out bytes.Buffer
	err := Run(context.Background(), &Options{ConfigFile: empty, RulesFiles: []string{bad}, DryRun: true, Stdout: &out})
	if !errors.Is(err, runner.ErrRules) || !strings.Contains(err.Error(), bad+":3:") || !strings.Contains(err.Error(), "proc.nosuch") {
		t.Errorf("bad rules: %v", err)
	}
	err = Run(context.Background(), &Options{ConfigFile: empty, Overrides: []string{"rule_matching=sometimes"}, DryRun: true, Stdout: &out})
	if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "rule_matching") {
		t.Errorf("bad option: %v", err)
	}
	err = Run(context.Background(), &Options{ConfigFile: filepath.Join(dir, "missing.yaml"), DryRun: true, Stdout: &out})
	if !errors.Is(err, config.ErrInvalid) {
		t.Errorf("missing -c file: %v", err)
	}
}
