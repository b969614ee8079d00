package registry

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/registry"
)

// PushOptions are the inputs of `registry push`.
type PushOptions struct {
	Ref          string
	Files        []string
	Type         string
	Version      string
	Name         string
	Platforms    []string
	Tags         []string
	FloatingTags bool
	Requires     []string
	DependsOn    []string
	Output       string
	Transport    registry.Flags
	// Driver holds the flags of --type driver (driver.go).
	Driver DriverPushFlags
}

func newPushCmd(f *cli.Factory, runF func(context.Context, *PushOptions) error) *cobra.Command {
	o := &PushOptions{}
	c := &cobra.Command{
		Use:   "push REF [FILE...]",
		Short: "Push a rulesfile, plugin or asset as a falcoctl-compatible OCI artifact",
		Long: `Push FILEs to REF (HOST/REPOSITORY[:TAG]) as a Falco artifact in falcoctl's format.

A plain file is packed into a tar.gz layer; a .tar.gz file is pushed as it is.
Plugins take one file per --platform, in the same order, and are pushed as an
OCI image index. A rulesfile's required_engine_version and required_plugin_versions
become its requirements and dependencies unless --requires/--depends-on say otherwise.

--type driver pushes eBPF objects (default: the one embedded in sakerctl) as a
Saker driver artifact: an image index with one manifest per --platform and
--variant; see docs/drivers.md.`,
		Example: `  sakerctl registry push ghcr.io/acme/rules/my-rules:1.2.3 my_rules.yaml --type rulesfile --version 1.2.3 --add-floating-tags
  sakerctl registry push ghcr.io/acme/plugins/myplugin:0.3.0 libmy-amd64.so libmy-arm64.so \
      --type plugin --version 0.3.0 --platform linux/amd64 --platform linux/arm64 --requires plugin_api_version:3.0.0`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Ref, o.Files = args[0], args[1:]
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runPush(cmd.Context(), f, o)
		},
	}
	fs := c.Flags()
	fs.StringVar(&o.Type, "type", "", "artifact type: rulesfile, plugin, asset or driver (required)")
	fs.StringVar(&o.Version, "version", "", "artifact version, semver X.Y.Z (required)")
	fs.StringVar(&o.Name, "name", "", "artifact name in the config (default: the repository's last path element)")
	fs.StringArrayVar(&o.Platforms, "platform", nil, "OS/ARCH of each plugin file, in file order (default: this host)")
	fs.StringArrayVarP(&o.Tags, "tag", "t", nil, "additional tag (repeatable)")
	fs.BoolVar(&o.FloatingTags, "add-floating-tags", false, "also tag X.Y.Z, X and X.Y for version X.Y.Z")
	fs.StringArrayVarP(&o.Requires, "requires", "r", nil, "requirement NAME:VERSION, e.g. engine_version_semver:0.31.0 (repeatable)")
	fs.StringArrayVarP(&o.DependsOn, "depends-on", "d", nil, `dependency NAME:VERSION, alternatives after '|': "k8saudit:0.7.0|k8saudit-eks:0.4.0" (repeatable)`)
	fs.StringVarP(&o.Output, "output", "o", "", "output format: text or json")
	addDriverPushFlags(fs, &o.Driver)
	AddTransportFlags(fs, &o.Transport)
	_ = c.MarkFlagRequired("type")
	_ = c.MarkFlagRequired("version")
	return c
}

func runPush(ctx context.Context, f *cli.Factory, o *PushOptions) error {
	if err := cli.ValidateOutput(o.Output); err != nil {
		return err
	}
	if o.Type == "driver" {
		return runPushDriver(ctx, f, o)
	}
	if len(o.Files) == 0 {
		return fmt.Errorf("registry push: give at least one FILE after REF (only --type driver defaults to the embedded object)")
	}
	t, err := artifacts.ParseType(o.Type)
	if err != nil {
		return fmt.Errorf("--type: %w", err)
	}
	cfg := artifacts.Config{Name: o.Name, Version: o.Version}
	if err := cfg.ParseRequirements(o.Requires...); err != nil {
		return err
	}
	if err := cfg.ParseDependencies(o.DependsOn...); err != nil {
		return err
	}
	client, err := NewClient(f, o.Transport)
	if err != nil {
		return err
	}
	repo, err := client.Repository(o.Ref)
	if err != nil {
		return err
	}
	res, err := artifacts.Push(ctx, repo, artifacts.PushOptions{
		Type: t, Files: o.Files, Platforms: o.Platforms, Config: cfg,
		Tags: o.Tags, FloatingTags: o.FloatingTags, Tracker: Progress(f), Logger: f.Logger(),
	})
	if err != nil {
		return err
	}
	if o.Output == "json" {
		return cli.PrintJSON(f.IO.Out, res)
	}
	fmt.Fprintf(f.IO.Out, "pushed %s %s (%s)\n", res.Type, res.Ref, res.Digest)
	return nil
}
