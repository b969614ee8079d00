package artifact

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/internal/cli"
)

func newUninstallCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "uninstall NAME...",
		Short: "Remove installed artifacts and their files",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			in := &artifacts.Installer{State: artifacts.OpenState(cfg.StateDir()), Logger: f.Logger()}
			for _, name := range args {
				rec, err := in.Uninstall(name)
				if err != nil {
					return err
				}
				fmt.Fprintf(f.IO.Out, "uninstalled %s %s %s (%d files)\n", rec.Type, rec.Name, rec.Version, len(rec.Files))
			}
			return nil
		},
	}
}
