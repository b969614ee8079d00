// Package artifact implements `sakerctl artifact`: search, inspect, install
// and follow Falco artifacts.
package artifact

import (
	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
)

// NewCmd returns the artifact command group.
func NewCmd(f *cli.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "artifact",
		Short: "Search, inspect, install and follow artifacts (rulesfiles, plugins, assets, drivers)",
	}
	c.AddCommand(
		newSearchCmd(f),
		newListCmd(f),
		newInfoCmd(f),
		newConfigCmd(f),
		newManifestCmd(f),
		newInstallCmd(f),
		newUninstallCmd(f),
		newFollowCmd(f),
	)
	return c
}
