package capture

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/sensor/defaults"
	"github.com/sakersec/saker/sensor/event"
	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/rules"
	"github.com/sakersec/saker/sensor/sources/syscall"
	"github.com/sakersec/saker/sensor/state"
	"github.com/sakersec/saker/sensor/tracefile"
)

// ReadOptions are the inputs of `capture read`.
type ReadOptions struct {
	File string
	// Condition filters events (rules language, syscall source); "" prints all.
	Condition string
	// Output is "" or "text" for one line per event, "json" for one JSON
	// object per line.
	Output string
	// Fields replace DefaultFields.
	Fields []string
	// Rules are rules files whose macros and lists the condition may use;
	// "embedded" names Saker's default rules.
	Rules []string
	// Limit stops after this many printed events (0: no limit).
	Limit int
}

// ReadStats says what `capture read` went through.
type ReadStats struct {
	Events  uint64 // read from the file
	Printed uint64 // matched the condition
}

func newReadCmd(f *cli.Factory, runF func(*ReadOptions) error) *cobra.Command {
	o := &ReadOptions{}
	var fieldList string
	c := &cobra.Command{
		Use:   "read FILE [CONDITION]",
		Short: "Print the events of a trace file, optionally filtered by a condition",
		Long: `Print the events of a trace file (recorded with 'sakerctl capture record' or
'sakerctl run --write') one per line: number, time, process name, (pid:tid),
event type, result, arguments and file descriptor name.

CONDITION is a condition in the rules language about the syscall source, as a
rule's condition: field names, operators, lists and macros work the same, so
a condition that selects the right events here is ready for a rule. Process
and file descriptor fields are rebuilt by replaying the file, as
'sakerctl run -e' does.`,
		Example: `  sakerctl capture read shadow.trace
  sakerctl capture read shadow.trace 'evt.type = openat and fd.name = /etc/shadow'
  sakerctl capture read shadow.trace 'saker_open_read' -r embedded   # macros of the default rules
  sakerctl capture read shadow.trace --fields proc.name,proc.pname,proc.cmdline -o json`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.File = args[0]
			if len(args) > 1 {
				o.Condition = args[1]
			}
			if fieldList != "" {
				o.Fields = strings.Split(fieldList, ",")
			}
			if runF != nil {
				return runF(o)
			}
			_, err := Read(cmd.Context(), f.IO.Out, o)
			return err
		},
	}
	fl := c.Flags()
	fl.StringVarP(&o.Output, "output", "o", "", "output format: text or json")
	fl.StringVar(&fieldList, "fields", "", "comma-separated fields to print instead of the default columns")
	fl.StringArrayVarP(&o.Rules, "rules", "r", nil, "rules file whose macros and lists the condition may use; 'embedded' for Saker's defaults (repeatable)")
	fl.IntVarP(&o.Limit, "limit", "n", 0, "stop after printing this many events")
	return c
}

// RulesContents maps rules arguments to load options: "embedded" is
// Saker's default rules, anything else a file or directory.
func RulesContents(names []string) (files []string, contents []rules.Content) {
	for _, n := range names {
		if n == "embedded" {
			contents = append(contents, rules.Content{Name: defaults.Name, Data: defaults.Rules})
			continue
		}
		files = append(files, n)
	}
	return files, contents
}

// Read prints the events of o.File that match o.Condition to w.
func Read(ctx context.Context, w io.Writer, o *ReadOptions) (ReadStats, error) {
	var st ReadStats
	if err := cli.ValidateOutput(o.Output); err != nil {
		return st, err
	}
	names := o.Fields
	if len(names) == 0 {
		names = DefaultFields
	}
	p, err := newPrinter(names, o.Output == "json")
	if err != nil {
		return st, err
	}
	files, contents := RulesContents(o.Rules)
	flt, err := rules.CompileFilter(rules.FilterOptions{
		Condition: o.Condition, Sources: fields.NewRegistry(syscall.Source()), Files: files, Contents: contents,
	})
	if err != nil {
		return st, err
	}
	r, err := tracefile.Open(o.File)
	if err != nil {
		return st, err
	}
	defer r.Close()
	tbl := state.New(state.Options{Offline: true})
	sev := syscall.Event{State: tbl}
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	var ev event.Event
	for ctx.Err() == nil {
		if err := r.Read(&ev); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return st, err
		}
		st.Events++
		if sev.StartTS == 0 {
			sev.StartTS = ev.TS
		}
		sev.Set(&ev, tbl.Update(&ev))
		if !flt.Match(&sev) {
			continue
		}
		st.Printed++
		if _, err := bw.Write(p.line(&sev)); err != nil {
			return st, fmt.Errorf("writing events: %w", err)
		}
		if o.Limit > 0 && st.Printed >= uint64(o.Limit) {
			break
		}
	}
	return st, ctx.Err()
}
