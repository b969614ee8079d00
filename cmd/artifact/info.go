package artifact

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/artifacts"
	regcmd "github.com/sakersec/saker/cmd/registry"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/registry"
)

// InfoOptions are the inputs of `artifact info`.
type InfoOptions struct {
	Refs      []string
	Output    string
	Transport registry.Flags
}

// Info is what `artifact info` reports for one artifact.
type Info struct {
	Ref        string   `json:"ref"`
	Repository string   `json:"repository"`
	Tags       []string `json:"tags"`
	// Versions are the semver tags, highest first.
	Versions []string `json:"versions"`
}

func newInfoCmd(f *cli.Factory) *cobra.Command {
	o := &InfoOptions{}
	c := &cobra.Command{
		Use:   "info REF...",
		Short: "Show the tags and versions of artifacts",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs = args
			return runInfo(cmd.Context(), f, o)
		},
	}
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: text or json")
	regcmd.AddTransportFlags(c.Flags(), &o.Transport)
	return c
}

func runInfo(ctx context.Context, f *cli.Factory, o *InfoOptions) error {
	if err := cli.ValidateOutput(o.Output); err != nil {
		return err
	}
	res, err := regcmd.NewResolver(f, o.Transport)
	if err != nil {
		return err
	}
	var infos []Info
	for _, ref := range o.Refs {
		tags, repo, err := res.Tags(ctx, ref)
		if err != nil {
			return err
		}
		vs := artifacts.SemverTags(tags)
		if vs == nil {
			vs = []string{}
		}
		infos = append(infos, Info{Ref: ref, Repository: repo, Tags: tags, Versions: vs})
	}
	if o.Output == "json" {
		return cli.PrintJSON(f.IO.Out, infos)
	}
	for _, in := range infos {
		fmt.Fprintf(f.IO.Out, "%s (%s)\n  versions: %s\n  tags:     %s\n", in.Ref, in.Repository, strings.Join(in.Versions, ", "), strings.Join(in.Tags, ", "))
	}
	return nil
}
