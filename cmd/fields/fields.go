// Package fields implements `sakerctl fields list`: every field rule
// conditions and outputs may use, per event source, with its type, its
// argument and a description (like `falco --list`).
package fields

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/sensor/fields"
)

// ListOptions are the inputs of `fields list`.
type ListOptions struct {
	// Source restricts the list to one source ("" lists all).
	Source  string
	Verbose bool
	Output  string
}

// Field is the listed form of a field, also its JSON form.
type Field struct {
	Source string `json:"source"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	// Arg is "none", "index" (proc.aname[2]) or "key" (evt.arg.flags,
	// ka.uri.param[command]).
	Arg         string `json:"arg"`
	ArgRequired bool   `json:"arg_required"`
	// Values is "single", "list" (several values: in needs all of them,
	// intersects one) or "any" (without an argument, any of several
	// values matches, proc.aname).
	Values  string `json:"values"`
	Desc    string `json:"desc"`
	Example string `json:"example"`
}

// NewCmd returns the fields command.
func NewCmd(f *cli.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "fields",
		Short: "List the fields rules can use",
		Long:  `List the fields rule conditions and outputs can use, per event source.`,
	}
	c.AddCommand(newListCmd(f, nil))
	return c
}

func newListCmd(f *cli.Factory, runF func(*ListOptions) error) *cobra.Command {
	o := &ListOptions{}
	c := &cobra.Command{
		Use:   "list",
		Short: "List every field with its type, argument and description",
		Long: `List every field rules can use, like falco --list: its type, whether it takes
an argument (an index, proc.aname[2], or a key, evt.arg.flags or
ka.uri.param[command]) and a one-line description. -v adds an example
condition for each field.`,
		Example: `  sakerctl fields list
  sakerctl fields list --source k8s_audit -v
  sakerctl fields list -o json | jq -r '.[] | select(.arg == "index") | .name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(o)
			}
			return List(f.IO.Out, o)
		},
	}
	c.Flags().StringVarP(&o.Source, "source", "s", "", "only this source: syscall or k8s_audit")
	c.Flags().BoolVarP(&o.Verbose, "verbose", "v", false, "show details and an example for each field")
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: text or json")
	return c
}

// Fields returns the fields of the sources, in registry order and by name
// within a source.
func Fields(source string) ([]Field, error) {
	reg := fields.Default()
	names := reg.Names()
	if source != "" {
		if _, ok := reg.Source(source); !ok {
			return nil, fmt.Errorf("--source %q: no such event source (want one of: %s)", source, strings.Join(names, ", "))
		}
		names = []string{source}
	}
	var out []Field
	for _, n := range names {
		src, _ := reg.Source(n)
		for _, fd := range src.Fields() {
			out = append(out, describe(n, fd))
		}
	}
	return out, nil
}

func describe(source string, fd fields.Field) Field {
	f := Field{Source: source, Name: fd.Name, Type: fd.Type.String(), Arg: "none", ArgRequired: fd.ArgRequired, Values: "single", Desc: fd.Desc}
	switch fd.Arg {
	case fields.ArgIndex:
		f.Arg = "index"
	case fields.ArgKey:
		f.Arg = "key"
	}
	switch fd.Multi {
	case fields.List:
		f.Values = "list"
	case fields.AnyOf:
		f.Values = "any"
	}
	f.Example = example(fd)
	return f
}

// usage writes the field as rules write it: proc.aname[N], evt.arg[KEY].
func (f Field) usage() string {
	switch {
	case f.Arg == "index" && f.ArgRequired:
		return f.Name + "[N]"
	case f.Arg == "index":
		return f.Name + "[N]?"
	case f.Arg == "key" && f.ArgRequired:
		return f.Name + "[KEY]"
	case f.Arg == "key":
		return f.Name + "[KEY]?"
	}
	return f.Name
}

func (f Field) argText() string {
	switch {
	case f.Arg == "none":
		return "-"
	case f.ArgRequired:
		return f.Arg + " (required)"
	}
	return f.Arg + " (optional)"
}

func (f Field) typeText() string {
	switch f.Values {
	case "list":
		return "list(" + f.Type + ")"
	case "any":
		return f.Type + "(any)"
	}
	return f.Type
}

// List prints the fields.
func List(w io.Writer, o *ListOptions) error {
	if err := cli.ValidateOutput(o.Output); err != nil {
		return err
	}
	all, err := Fields(o.Source)
	if err != nil {
		return err
	}
	if o.Output == "json" {
		return cli.PrintJSON(w, all)
	}
	var b strings.Builder
	bySource := map[string][]Field{}
	var order []string
	for _, f := range all {
		if _, ok := bySource[f.Source]; !ok {
			order = append(order, f.Source)
		}
		bySource[f.Source] = append(bySource[f.Source], f)
	}
	for i, src := range order {
		if i > 0 {
			b.WriteByte('\n')
		}
		fs := bySource[src]
		fmt.Fprintf(&b, "Source %s (%d fields)\n", src, len(fs))
		if o.Verbose {
			for _, f := range fs {
				fmt.Fprintf(&b, "\n%s\n  %s\n  type:     %s\n  argument: %s\n  example:  %s\n", f.usage(), f.Desc, typeLong(f), argLong(f), f.Example)
			}
			continue
		}
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FIELD\tTYPE\tARGUMENT\tDESCRIPTION")
		for _, f := range fs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, f.typeText(), f.argText(), f.Desc)
		}
		tw.Flush()
	}
	_, err = io.WriteString(w, b.String())
	return err
}

func typeLong(f Field) string {
	switch f.Values {
	case "list":
		return "list of " + f.Type + " (in needs every value in the set, intersects one of them)"
	case "any":
		return f.Type + " (without an argument, every value is tried and any may match)"
	}
	return f.Type
}

func argLong(f Field) string {
	req := "optional"
	if f.ArgRequired {
		req = "required"
	}
	switch f.Arg {
	case "index":
		return req + " index, " + f.Name + "[N]"
	case "key":
		return req + " key, " + f.Name + "[KEY]"
	}
	return "none"
}
