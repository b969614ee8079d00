package artifact

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
)

func newManifestCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "manifest",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("artifact manifest: not implemented yet")
		},
	}
}
