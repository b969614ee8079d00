// Package capture implements `sakerctl capture`: record live system calls
// to a trace file with the embedded eBPF driver, and print a trace file's
// events, optionally filtered by a condition in the rules language. With
// `sakerctl rules test` it makes the rule authors' loop: record a
// behaviour once, look at it, then test rules against it.
package capture

import (
	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
)

// NewCmd returns the capture command.
func NewCmd(f *cli.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "capture",
		Short: "Record system calls to a trace file and read them back",
		Long: `Record live system calls to a trace file (Saker's capture format, the one
'sakerctl run --write' writes and 'sakerctl run -e' replays) and print the
events of a trace file, filtered by a condition in the rules language.

Together with 'sakerctl rules test' this is the loop for writing rules:
record the behaviour once, read it to find the fields to match, then test
the rules against the recording.`,
		Example: `  sudo sakerctl capture record shadow.trace -- cat /etc/shadow
  sudo sakerctl capture record all.trace --duration 10s --filter 'proc.name in (cat, curl)'
  sakerctl capture read shadow.trace 'evt.type in (open, openat) and fd.name startswith /etc/'
  sakerctl capture read shadow.trace -o json`,
	}
	c.AddCommand(newRecordCmd(f, nil), newReadCmd(f, nil))
	return c
}
