package rules

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/internal/version"
	"github.com/sakersec/saker/sensor/rules"
)

// ValidateOptions are the inputs of `rules validate`.
type ValidateOptions struct {
	Files  []string
	Output string
}

func newValidateCmd(f *cli.Factory, runF func(*ValidateOptions) error) *cobra.Command {
	o := &ValidateOptions{}
	c := &cobra.Command{
		Use:   "validate [FILE|DIR]...",
		Short: "Check rules files like falco -V: errors with file:line:col, warnings and counts",
		Long: `Load the rules files in order, as the sensor would (later files change items of
earlier ones), and report for each file whether it is valid, its errors with
file:line:col and its warnings. Exits non-zero when any file has errors.
Without arguments the default rules files are checked (/etc/falco, else
the embedded default rules).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Files = args
			if runF != nil {
				return runF(o)
			}
			return runValidate(f.IO.Out, o)
		},
	}
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: text or json")
	return c
}

func runValidate(w io.Writer, o *ValidateOptions) error {
	if err := cli.ValidateOutput(o.Output); err != nil {
		return err
	}
	_, res, loadErr := rules.Load(loadOptions(o.Files))
	if o.Output == "json" {
		if err := cli.PrintJSON(w, res); err != nil {
			return err
		}
	} else {
		printValidation(w, res)
	}
	if loadErr != nil {
		return fmt.Errorf("%w: %d error(s)", ErrValidation, len(res.Errors()))
	}
	return nil
}

func printValidation(w io.Writer, res *rules.Result) {
	for _, f := range res.Files {
		state := "OK"
		if !f.OK() {
			state = fmt.Sprintf("INVALID (%d error(s))", len(f.Errors))
		}
		fmt.Fprintf(w, "%s: %s (%d rules, %d macros, %d lists)\n", f.Name, state, f.Rules, f.Macros, f.Lists)
		for _, d := range f.Errors {
			fmt.Fprintf(w, "  error: %s\n", d)
		}
		for _, d := range f.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", d)
		}
	}
	fmt.Fprintf(w, "Loaded %d rules (%d enabled, %d skipped), %d macros, %d lists: %d error(s), %d warning(s)\n",
		res.Rules, res.EnabledRules, res.Skipped, res.Macros, res.Lists, len(res.Errors()), len(res.Warnings()))
	var plugins []string
	for name, v := range version.BuiltinPlugins {
		plugins = append(plugins, name+" "+v)
	}
	sort.Strings(plugins)
	fmt.Fprintf(w, "Plugin requirements on %s are served built-in.\n", strings.Join(plugins, ", "))
}
