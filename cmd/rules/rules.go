// Package rules implements `sakerctl rules`: validate, list and describe
// Falco rules files, and list the fields conditions may use.
package rules

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/sensor/defaults"
	"github.com/sakersec/saker/sensor/rules"
)

// DefaultRulesFiles are loaded when no file is given, in Falco's order;
// the ones that do not exist are skipped, and when none exists the
// embedded default rules are used.
var DefaultRulesFiles = []string{"/etc/falco/falco_rules.yaml", "/etc/falco/falco_rules.local.yaml", "/etc/falco/rules.d"}

// ErrValidation is returned when a rules file has errors, so that the
// command exits non-zero after printing them.
var ErrValidation = errors.New("rules validation failed")

// NewCmd returns the rules command.
func NewCmd(f *cli.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "rules",
		Short: "Validate, list and describe rules",
		Long: `Work with Falco rules files: check them like falco -V, list and describe
their rules, and list the fields conditions may use.`,
	}
	c.AddCommand(newValidateCmd(f, nil), newListCmd(f, nil), newDescribeCmd(f, nil), newFieldsCmd(f, nil))
	c.AddCommand(newTestCmd(f, nil))
	return c
}

// loadOptions returns what to load: the given files, else the default
// rules files that exist, else Saker's embedded default rules (what the
// sensor runs on when /etc/falco has no rules).
func loadOptions(files []string) rules.LoadOptions {
	if len(files) > 0 {
		return rules.LoadOptions{Files: files}
	}
	for _, p := range DefaultRulesFiles {
		if _, err := os.Stat(p); err == nil {
			files = append(files, p)
		}
	}
	if len(files) > 0 {
		return rules.LoadOptions{Files: files}
	}
	return rules.LoadOptions{Contents: []rules.Content{{Name: defaults.Name, Data: defaults.Rules}}}
}

// loadFiles loads rules for list and describe, which need a valid set.
func loadFiles(files []string) (*rules.Ruleset, error) {
	rs, _, err := rules.Load(loadOptions(files))
	return rs, err
}
