// Package rules implements `sakerctl rules`.
package rules

import (
	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
)

// NewCmd returns the rules command.
func NewCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "rules",
		Short: "Validate, list and describe rules",
	}
}
