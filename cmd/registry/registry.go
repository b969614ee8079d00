// Package registry implements `sakerctl registry`.
package registry

import (
	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
)

// NewCmd returns the registry command.
func NewCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "registry",
		Short: "Push, pull and authenticate against OCI registries",
	}
}
