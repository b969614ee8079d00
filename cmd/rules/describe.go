package rules

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/sensor/rules"
)

// ErrNotFound is returned when no rule, macro or list has the name.
var ErrNotFound = errors.New("not found")

// DescribeOptions are the inputs of `rules describe`.
type DescribeOptions struct {
	Name   string
	Files  []string
	Output string
}

func newDescribeCmd(f *cli.Factory, runF func(*DescribeOptions) error) *cobra.Command {
	o := &DescribeOptions{}
	c := &cobra.Command{
		Use:   "describe NAME",
		Short: "Show a rule (or macro, or list) in full",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if runF != nil {
				return runF(o)
			}
			return runDescribe(f.IO.Out, o)
		},
	}
	c.Flags().StringArrayVarP(&o.Files, "rules", "r", nil, "rules file or directory (repeatable; default: the default rules files)")
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: text or json")
	return c
}

func runDescribe(w io.Writer, o *DescribeOptions) error {
	if err := cli.ValidateOutput(o.Output); err != nil {
		return err
	}
	rs, err := loadFiles(o.Files)
	if err != nil {
		return err
	}
	if r, ok := rs.Rule(o.Name); ok {
		if o.Output == "json" {
			return cli.PrintJSON(w, r)
		}
		printRule(w, r)
		return nil
	}
	for _, m := range rs.Macros() {
		if m.Name == o.Name {
			if o.Output == "json" {
				return cli.PrintJSON(w, m)
			}
			fmt.Fprintf(w, "Macro:     %s\nDefined:   %s:%d\nUsed:      %v\nCondition: %s\n", m.Name, m.File, m.Line, m.Used, strings.TrimSpace(m.Condition))
			return nil
		}
	}
	for _, l := range rs.Lists() {
		if l.Name == o.Name {
			if o.Output == "json" {
				return cli.PrintJSON(w, l)
			}
			fmt.Fprintf(w, "List:    %s\nDefined: %s:%d\nUsed:    %v\nItems:   %s\n", l.Name, l.File, l.Line, l.Used, strings.Join(l.Items, ", "))
			return nil
		}
	}
	return fmt.Errorf("rule, macro or list %q: %w in the loaded rules files", o.Name, ErrNotFound)
}

func printRule(w io.Writer, r rules.Rule) {
	enabled := fmt.Sprint(r.Enabled)
	if !r.Compiled {
		enabled += " (skipped: not compiled)"
	}
	types := "all"
	if len(r.EventTypes) > 0 {
		types = strings.Join(r.EventTypes, ", ")
	}
	fmt.Fprintf(w, "Rule:        %s\n", r.Name)
	fmt.Fprintf(w, "Defined:     %s:%d\n", r.File, r.Line)
	fmt.Fprintf(w, "Source:      %s\n", r.Source)
	fmt.Fprintf(w, "Priority:    %s\n", r.Priority)
	fmt.Fprintf(w, "Enabled:     %s\n", enabled)
	fmt.Fprintf(w, "Tags:        %s\n", strings.Join(r.Tags, ", "))
	fmt.Fprintf(w, "Event types: %s\n", types)
	if len(r.Exceptions) > 0 {
		fmt.Fprintf(w, "Exceptions:  %s\n", strings.Join(r.Exceptions, ", "))
	}
	fmt.Fprintf(w, "Description: %s\n", strings.TrimSpace(r.Description))
	fmt.Fprintf(w, "Condition:   %s\n", strings.TrimSpace(r.Condition))
	fmt.Fprintf(w, "Output:      %s\n", strings.TrimSpace(r.Output))
}
