package artifact

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/index"
	"github.com/sakersec/saker/internal/cli"
)

// artifactTypes are the values --type accepts.
var artifactTypes = []string{"rulesfile", "plugin", "asset", "driver"}

type searchOptions struct {
	keywords []string
	typ      string
	output   string
}

func newSearchCmd(f *cli.Factory) *cobra.Command {
	var o searchOptions
	c := &cobra.Command{
		Use:   "search KEYWORD...",
		Short: "Search the indexes for artifacts",
		Long: `Search the artifacts of every index in effect ('sakerctl index list') by name, keyword
and description. Results are ranked: exact name, then name prefix, then keyword, then a
match anywhere in the text; ties are in name order.`,
		Example: `  sakerctl artifact search k8saudit
  sakerctl artifact search rules --type rulesfile -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.keywords = args
			if err := cli.ValidateOutput(o.output); err != nil {
				return err
			}
			if o.typ != "" && !validType(o.typ) {
				return fmt.Errorf("--type %q: want one of %s", o.typ, strings.Join(artifactTypes, ", "))
			}
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			s, err := index.OpenStore(index.OptionsFromConfig(cfg, f.Logger()))
			if err != nil {
				return err
			}
			if len(s.List()) == 0 {
				return fmt.Errorf("no index in effect: add one with 'sakerctl index add NAME URL'")
			}
			entries, err := s.Entries(cmd.Context())
			if err != nil {
				return err
			}
			return printSearch(f, index.Search(entries, o.keywords, index.SearchOptions{Type: o.typ}), o)
		},
	}
	c.Flags().StringVar(&o.typ, "type", "", "only artifacts of this type: "+strings.Join(artifactTypes, ", "))
	c.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	return c
}

func validType(t string) bool {
	for _, a := range artifactTypes {
		if t == a {
			return true
		}
	}
	return false
}

// searchHit is one result of `artifact search -o json`: the index entry
// and how it matched.
type searchHit struct {
	index.Entry
	Match index.MatchKind `json:"match"`
}

func printSearch(f *cli.Factory, results []index.Result, o searchOptions) error {
	if o.output == "json" {
		hits := make([]searchHit, 0, len(results))
		for _, r := range results {
			hits = append(hits, searchHit{Entry: r.Entry, Match: r.Match})
		}
		return cli.PrintJSON(f.IO.Out, hits)
	}
	if len(results) == 0 {
		fmt.Fprintf(f.IO.ErrOut, "No artifact matches %s.\n", strings.Join(o.keywords, " "))
		return nil
	}
	w := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "INDEX\tARTIFACT\tTYPE\tREGISTRY\tREPOSITORY")
	for _, r := range results {
		e := r.Entry
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", e.Index, e.Name, e.Type, e.Registry, e.Repository)
	}
	return w.Flush()
}
