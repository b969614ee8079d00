// Package driver implements `sakerctl driver`: install a prebuilt eBPF
// driver from an OCI registry and show what this host would run.
package driver

import (
	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/internal/config"
)

// NewCmd returns the driver command.
func NewCmd(f *cli.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "driver",
		Short: "Install prebuilt eBPF drivers and inspect this host",
		Long: `Saker's sensor runs the eBPF object embedded in sakerctl unless a driver installed
from a registry (sakerctl driver install) loads on this host. Drivers are OCI
artifacts with one manifest per architecture and attach variant; see
docs/drivers.md.`,
	}
	c.AddCommand(newInstallCmd(f, nil), newPrintenvCmd(f, nil))
	return c
}

// driversDir is --dir, else driver.dir from the configuration, else
// /etc/falco/drivers.
func driversDir(f *cli.Factory, flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	cfg, err := f.Config()
	if err != nil {
		return "", err
	}
	if cfg.Driver.Dir != "" {
		return cfg.Driver.Dir, nil
	}
	return config.DefaultDriversDir, nil
}
