package artifact

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
)

func newConfigCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "config",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("artifact config: not implemented yet")
		},
	}
}
