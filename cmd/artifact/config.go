package artifact

import (
	"github.com/spf13/cobra"

	"github.com/sakersec/saker/artifacts"
	regcmd "github.com/sakersec/saker/cmd/registry"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/registry"
)

func newConfigCmd(f *cli.Factory) *cobra.Command {
	var fl registry.Flags
	var platform string
	c := &cobra.Command{
		Use:   "config REF",
		Short: "Print an artifact's config layer (name, version, dependencies, requirements) as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := regcmd.NewResolver(f, fl)
			if err != nil {
				return err
			}
			a, err := res.Resolve(cmd.Context(), args[0], artifacts.ResolveOptions{Platform: platform})
			if err != nil {
				return err
			}
			return cli.PrintJSON(f.IO.Out, a.Config)
		},
	}
	c.Flags().StringVar(&platform, "platform", "", "OS/ARCH of the plugin manifest to read (default: this host)")
	regcmd.AddTransportFlags(c.Flags(), &fl)
	return c
}
