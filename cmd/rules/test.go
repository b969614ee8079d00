package rules

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/sensor/ruletest"
)

// ErrTestsFailed is returned by `rules test` when a test fails, so that
// the command exits non-zero after its report.
var ErrTestsFailed = errors.New("rule tests failed")

// TestOptions are the inputs of `rules test`.
type TestOptions struct {
	Files   []string
	Output  string
	Verbose bool
	// Hostname fixes the alerts' hostname (tests).
	Hostname string
}

// testReport is the JSON form of the report.
type testReport struct {
	Summary ruletest.Summary  `json:"summary"`
	Results []ruletest.Result `json:"results"`
}

func newTestCmd(f *cli.Factory, runF func(*TestOptions) error) *cobra.Command {
	o := &TestOptions{}
	c := &cobra.Command{
		Use:   "test TESTFILE|DIR...",
		Short: "Run rule tests: replay recordings and check the alerts",
		Long: `Run rule test files. A test file (YAML) names a recording, a trace file from
'sakerctl capture record' or Kubernetes audit events in JSON, the rules files
to load ('embedded' for Saker's default rules), and the alerts the rules must
raise (rule, count, output field values) or must not. Events replay through
the sensor's pipeline as 'sakerctl run -e' does, deterministically.

Prints PASS or FAIL per test and exits non-zero when a test fails, so rule
repositories can run it in CI. A directory runs its *.yaml files. The format
is described in docs/rule-authoring.md.`,
		Example: `  sakerctl rules test tests/shadow.yaml
  sakerctl rules test tests/ -v
  sakerctl rules test tests/ -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Files = args
			if runF != nil {
				return runF(o)
			}
			return runTest(cmd.Context(), f.IO.Out, o)
		},
	}
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: text or json")
	c.Flags().BoolVarP(&o.Verbose, "verbose", "v", false, "print every alert of every test")
	return c
}

func runTest(ctx context.Context, w io.Writer, o *TestOptions) error {
	if err := cli.ValidateOutput(o.Output); err != nil {
		return err
	}
	files, err := ruletest.Expand(o.Files)
	if err != nil {
		return err
	}
	var results []ruletest.Result
	for _, p := range files {
		results = append(results, ruletest.RunFile(ctx, p, ruletest.Options{Hostname: o.Hostname})...)
	}
	sum := ruletest.Summarize(results)
	if o.Output == "json" {
		if err := cli.PrintJSON(w, testReport{Summary: sum, Results: results}); err != nil {
			return err
		}
	} else if err := ruletest.WriteText(w, results, o.Verbose); err != nil {
		return err
	}
	if sum.Failed > 0 {
		return fmt.Errorf("%w: %d of %d failed", ErrTestsFailed, sum.Failed, sum.Tests)
	}
	return nil
}
