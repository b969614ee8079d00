// Package registry implements `sakerctl registry`: push and pull Falco
// artifacts and save registry credentials.
package registry

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/registry"
)

// NewCmd returns the registry command.
func NewCmd(f *cli.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "registry",
		Short: "Push, pull and authenticate against OCI registries",
	}
	c.AddCommand(newPushCmd(f, nil), newPullCmd(f, nil), newAuthCmd(f))
	return c
}

// AddTransportFlags binds the flags every registry-facing command takes.
func AddTransportFlags(fs *pflag.FlagSet, fl *registry.Flags) {
	fs.BoolVar(&fl.PlainHTTP, "plain-http", false, "talk plain HTTP to the registry (also registry.plainHTTP in the configuration)")
	fs.StringVar(&fl.CAFile, "ca-file", "", "PEM file of CA certificates to trust for the registry (also registry.tls.caFile)")
	fs.BoolVar(&fl.InsecureSkipTLSVerify, "insecure-skip-tls-verify", false, "do not verify the registry's TLS certificate")
}

// NewClient builds the registry client for f's configuration and fl.
func NewClient(f *cli.Factory, fl registry.Flags) (*registry.Client, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	return registry.NewFromConfig(cfg, fl, f.Logger())
}

// Progress returns progress reporting for f: bars on a terminal, logs
// otherwise.
func Progress(f *cli.Factory) *registry.Progress {
	p := &registry.Progress{Logger: f.Logger()}
	if cli.IsTerminal(f.IO.ErrOut) {
		p.Terminal = f.IO.ErrOut
	}
	return p
}
