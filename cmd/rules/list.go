package rules

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
)

// ListOptions are the inputs of `rules list`.
type ListOptions struct {
	Files  []string
	Output string
}

func newListCmd(f *cli.Factory, runF func(*ListOptions) error) *cobra.Command {
	o := &ListOptions{}
	c := &cobra.Command{
		Use:   "list",
		Short: "List the rules of rules files",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runList(f.IO.Out, o)
		},
	}
	c.Flags().StringArrayVarP(&o.Files, "rules", "r", nil, "rules file or directory (repeatable; default: the default rules files)")
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: text or json")
	return c
}

func runList(w io.Writer, o *ListOptions) error {
	if err := cli.ValidateOutput(o.Output); err != nil {
		return err
	}
	rs, err := loadFiles(o.Files)
	if err != nil {
		return err
	}
	list := rs.Rules()
	if o.Output == "json" {
		return cli.PrintJSON(w, list)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSOURCE\tPRIORITY\tENABLED\tTAGS")
	for _, r := range list {
		enabled := "yes"
		switch {
		case !r.Compiled:
			enabled = "skipped"
		case !r.Enabled:
			enabled = "no"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Source, r.Priority, enabled, strings.Join(r.Tags, ","))
	}
	return tw.Flush()
}
