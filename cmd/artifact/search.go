package artifact

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
)

func newSearchCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "search",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("artifact search: not implemented yet")
		},
	}
}
