package artifact

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
)

func newListCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "list",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("artifact list: not implemented yet")
		},
	}
}
