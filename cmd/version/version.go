// Package version implements `sakerctl version`.
package version

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/internal/version"
)

// NewCmd returns the version command.
func NewCmd(f *cli.Factory) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version of sakerctl and the engine versions it supports",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cli.ValidateOutput(output); err != nil {
				return err
			}
			info := version.Get()
			if output == "json" {
				return cli.PrintJSON(f.IO.Out, info)
			}
			fmt.Fprintf(f.IO.Out, "Version:            %s\nCommit:             %s\nDate:               %s\nGo:                 %s\nPlatform:           %s\nEngine version:     %s\nPlugin API version: %s\n",
				info.Version, info.Commit, info.Date, info.GoVersion, info.Platform, info.EngineVersionSemver, info.PluginAPIVersion)
			return nil
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return c
}
