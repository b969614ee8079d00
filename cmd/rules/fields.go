package rules

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/sensor/fields"
)

// FieldsOptions are the inputs of `rules fields`.
type FieldsOptions struct {
	Source string
	Output string
}

// fieldJSON is the machine-readable form of a field.
type fieldJSON struct {
	Source      string `json:"source"`
	Name        string `json:"name"`
	Type        string `json:"type"`
	Arg         string `json:"arg,omitempty"`
	ArgRequired bool   `json:"arg_required,omitempty"`
	List        bool   `json:"list,omitempty"`
	Desc        string `json:"desc"`
}

func newFieldsCmd(f *cli.Factory, runF func(*FieldsOptions) error) *cobra.Command {
	o := &FieldsOptions{}
	c := &cobra.Command{
		Use:   "fields",
		Short: "List the fields rule conditions and outputs may use",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runFields(f.IO.Out, o)
		},
	}
	c.Flags().StringVarP(&o.Source, "source", "s", "", "only this source: syscall or k8s_audit")
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: text or json")
	return c
}

func runFields(w io.Writer, o *FieldsOptions) error {
	if err := cli.ValidateOutput(o.Output); err != nil {
		return err
	}
	reg := fields.Default()
	names := reg.Names()
	if o.Source != "" {
		if _, ok := reg.Source(o.Source); !ok {
			return fmt.Errorf("--source %q: want one of %v", o.Source, names)
		}
		names = []string{o.Source}
	}
	var out []fieldJSON
	for _, n := range names {
		src, _ := reg.Source(n)
		for _, fd := range src.Fields() {
			j := fieldJSON{Source: n, Name: fd.Name, Type: fd.Type.String(), ArgRequired: fd.ArgRequired, List: fd.Multi != fields.Single, Desc: fd.Desc}
			switch fd.Arg {
			case fields.ArgIndex:
				j.Arg = "index"
			case fields.ArgKey:
				j.Arg = "key"
			}
			out = append(out, j)
		}
	}
	if o.Output == "json" {
		return cli.PrintJSON(w, out)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tFIELD\tTYPE\tDESCRIPTION")
	for _, j := range out {
		name := j.Name
		switch {
		case j.Arg == "index" && j.ArgRequired:
			name += "[N]"
		case j.Arg == "index":
			name += "[N]?"
		case j.Arg == "key" && j.ArgRequired:
			name += "[KEY]"
		case j.Arg == "key":
			name += "[KEY]?"
		}
		typ := j.Type
		if j.List {
			typ = "list(" + typ + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", j.Source, name, typ, j.Desc)
	}
	return tw.Flush()
}
