// Package run implements `sakerctl run`.
package run

import (
	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
)

// NewCmd returns the run command.
func NewCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Run the detection sensor",
	}
}
