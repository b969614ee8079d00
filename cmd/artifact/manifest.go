package artifact

import (
	"bytes"
	"encoding/json"

	"github.com/spf13/cobra"

	regcmd "github.com/sakersec/saker/cmd/registry"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/registry"
)

func newManifestCmd(f *cli.Factory) *cobra.Command {
	var fl registry.Flags
	c := &cobra.Command{
		Use:   "manifest REF",
		Short: "Print an artifact's manifest (an image index for plugins) as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := regcmd.NewResolver(f, fl)
			if err != nil {
				return err
			}
			data, _, err := res.FetchRoot(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := json.Indent(&buf, data, "", "  "); err != nil {
				_, err = f.IO.Out.Write(data)
				return err
			}
			buf.WriteByte('\n')
			_, err = f.IO.Out.Write(buf.Bytes())
			return err
		},
	}
	regcmd.AddTransportFlags(c.Flags(), &fl)
	return c
}
