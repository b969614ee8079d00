package artifact

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
)

func newInstallCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "install",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("artifact install: not implemented yet")
		},
	}
}
