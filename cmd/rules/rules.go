// Package rules implements `sakerctl rules`: validate, list and describe
// Falco rules files, and list the fields conditions may use.
package rules

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/sensor/rules"
)

// DefaultRulesFiles are loaded when no -r flag is given, in Falco's order;
// the ones that do not exist are skipped.
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
	return c
}

// defaultFiles returns the default rules files that exist.
func defaultFiles() ([]string, error) {
	var out []string
	for _, p := range DefaultRulesFiles {
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no rules files given and none of the defaults exist (%s): pass -r FILE", filepath.Join(DefaultRulesFiles[0]))
	}
	return out, nil
}

// loadFiles loads rules for list and describe, which need a valid set.
func loadFiles(files []string) (*rules.Ruleset, error) {
	if len(files) == 0 {
		var err error
		if files, err = defaultFiles(); err != nil {
			return nil, err
		}
	}
	rs, _, err := rules.Load(rules.LoadOptions{Files: files})
	return rs, err
}
