// Package cmd assembles sakerctl's cobra command tree. Each command group
// lives in its own package under cmd/; this package only wires them together
// with the global flags.
package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/cmd/artifact"
	"github.com/sakersec/saker/cmd/capture"
	"github.com/sakersec/saker/cmd/driver"
	"github.com/sakersec/saker/cmd/fields"
	"github.com/sakersec/saker/cmd/index"
	"github.com/sakersec/saker/cmd/registry"
	"github.com/sakersec/saker/cmd/rules"
	"github.com/sakersec/saker/cmd/run"
	"github.com/sakersec/saker/cmd/version"
	"github.com/sakersec/saker/internal/cli"
)

// NewRootCmd builds the sakerctl command tree on f.
func NewRootCmd(f *cli.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "sakerctl",
		Short: "Runtime security for Linux and Kubernetes: artifact manager and Falco-compatible sensor",
		Long: `sakerctl manages Falco artifacts (rules, plugins, assets, eBPF drivers) from OCI
registries, and runs a Falco-compatible detection sensor built on eBPF.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			_, err := cli.NewLogger(f.IO.ErrOut, f.Options.LogLevel, f.Options.LogFormat)
			return err
		},
	}
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	pf := root.PersistentFlags()
	pf.StringVar(&f.Options.ConfigFile, "config", f.Options.ConfigFile, "configuration file (falcoctl.yaml layout)")
	pf.StringVar(&f.Options.LogLevel, "log-level", f.Options.LogLevel, "log level: debug, info, warn, error")
	pf.StringVar(&f.Options.LogFormat, "log-format", f.Options.LogFormat, "log format: text, json, color")

	root.AddCommand(
		version.NewCmd(f),
		index.NewCmd(f),
		artifact.NewCmd(f),
		registry.NewCmd(f),
		rules.NewCmd(f),
		run.NewCmd(f),
		capture.NewCmd(f),
		fields.NewCmd(f),
		driver.NewCmd(f),
	)
	return root
}

// Execute runs sakerctl with args and returns the process exit code.
func Execute(ctx context.Context, f *cli.Factory, args []string) int {
	root := NewRootCmd(f)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		f.Logger().Error(err.Error())
		return 1
	}
	return 0
}
