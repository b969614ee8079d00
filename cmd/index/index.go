// Package index implements `sakerctl index`.
package index

import (
	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
)

// NewCmd returns the index command.
func NewCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "index",
		Short: "Manage artifact indexes",
	}
}
