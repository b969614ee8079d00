package artifact

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/index"
	"github.com/sakersec/saker/internal/cli"
)

// ListOptions are the inputs of `artifact list`.
type ListOptions struct {
	Installed bool
	Type      string
	Output    string
}

func newListCmd(f *cli.Factory) *cobra.Command {
	o := &ListOptions{}
	c := &cobra.Command{
		Use:   "list",
		Short: "List the artifacts of the indexes, or the installed ones",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runList(cmd.Context(), f, o)
		},
	}
	c.Flags().BoolVar(&o.Installed, "installed", false, "list installed artifacts (the state store) instead")
	c.Flags().StringVar(&o.Type, "type", "", "only this type: rulesfile, plugin or asset")
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: text or json")
	return c
}

func runList(ctx context.Context, f *cli.Factory, o *ListOptions) error {
	if err := cli.ValidateOutput(o.Output); err != nil {
		return err
	}
	var only artifacts.Type
	if o.Type != "" {
		t, err := artifacts.ParseType(o.Type)
		if err != nil {
			return fmt.Errorf("--type: %w", err)
		}
		only = t
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	if o.Installed {
		recs, err := artifacts.OpenState(cfg.StateDir()).List()
		if err != nil {
			return err
		}
		out := []artifacts.Record{}
		for _, r := range recs {
			if only == "" || r.Type == only {
				out = append(out, r)
			}
		}
		if o.Output == "json" {
			return cli.PrintJSON(f.IO.Out, out)
		}
		tw := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tTYPE\tVERSION\tREF\tFILES")
		for _, r := range out {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Type, r.Version, r.Ref, strings.Join(r.Files, ","))
		}
		return tw.Flush()
	}
	store, err := index.OpenStore(index.OptionsFromConfig(cfg, f.Logger()))
	if err != nil {
		return err
	}
	entries, err := store.Entries(ctx)
	if err != nil {
		return err
	}
	out := []index.Entry{}
	for _, e := range entries {
		if only == "" || e.Type == string(only) {
			out = append(out, e)
		}
	}
	if o.Output == "json" {
		return cli.PrintJSON(f.IO.Out, out)
	}
	tw := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tREPOSITORY\tDESCRIPTION")
	for _, e := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Name, e.Type, e.Ref(), e.Description)
	}
	return tw.Flush()
}
