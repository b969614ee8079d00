package artifact

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
)

func newInfoCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "info",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("artifact info: not implemented yet")
		},
	}
}
