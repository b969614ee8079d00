package registry

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/registry"
)

// PullOptions are the inputs of `registry pull`.
type PullOptions struct {
	Ref       string
	Dest      string
	Platform  string
	Transport registry.Flags
}

func newPullCmd(f *cli.Factory, runF func(context.Context, *PullOptions) error) *cobra.Command {
	o := &PullOptions{}
	c := &cobra.Command{
		Use:   "pull REF",
		Short: "Download an artifact and extract its files, without installing it",
		Long: `Download the artifact REF (an index name or HOST/REPOSITORY, with :TAG, a semver
constraint or @DIGEST) and extract its layer into
--dest. The layer's digest is verified and the archive checked before any file is written.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Ref = args[0]
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runPull(cmd.Context(), f, o)
		},
	}
	c.Flags().StringVar(&o.Dest, "dest", ".", "directory to extract the files into")
	c.Flags().StringVar(&o.Platform, "platform", "", "OS/ARCH of the plugin to pull (default: this host)")
	AddTransportFlags(c.Flags(), &o.Transport)
	return c
}

func runPull(ctx context.Context, f *cli.Factory, o *PullOptions) error {
	res, err := NewResolver(f, o.Transport)
	if err != nil {
		return err
	}
	in := &artifacts.Installer{
		Resolver: res,
		Tracker:  Progress(f),
		Logger:   f.Logger(),
	}
	rec, err := in.Pull(ctx, o.Ref, o.Dest, artifacts.InstallOptions{Platform: o.Platform})
	if err != nil {
		return err
	}
	for _, file := range rec.Files {
		fmt.Fprintln(f.IO.Out, file)
	}
	return nil
}
