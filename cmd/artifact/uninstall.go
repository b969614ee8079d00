package artifact

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
)

func newUninstallCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "uninstall",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("artifact uninstall: not implemented yet")
		},
	}
}
