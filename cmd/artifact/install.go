package artifact

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/artifacts/signature"
	regcmd "github.com/sakersec/saker/cmd/registry"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/registry"
)

// InstallOptions are the inputs of `artifact install`.
type InstallOptions struct {
	Refs          []string
	RulesfilesDir string
	PluginsDir    string
	AssetsDir     string
	AllowedTypes  []string
	Platform      string
	Force         bool
	ResolveDeps   bool
	SkipBuiltin   bool
	// NoVerify skips cosign verification of index entries that ask for
	// it (also artifact.noVerify).
	NoVerify bool
	// TrustedRoot is sigstore's trusted_root.json for keyless signatures.
	TrustedRoot string
	// resolveDepsSet records whether --resolve-deps was given, so that
	// artifact.install.resolveDeps applies otherwise.
	resolveDepsSet bool
	Output         string
	Transport      registry.Flags
}

func newInstallCmd(f *cli.Factory) *cobra.Command {
	o := &InstallOptions{}
	c := &cobra.Command{
		Use:   "install [REF...]",
		Short: "Install rulesfiles, plugins and assets with their dependencies",
		Long: `Install artifacts. REF is an index name, NAME:TAG, NAME@DIGEST, or a full OCI
reference HOST/REPOSITORY[:TAG|@DIGEST] (which needs no index). A tag that does
not exist but reads as a semver constraint (4, 4.1, ^4.1, ~4.1.2, ">=4 <5")
selects the highest matching version. Without REF, artifact.install.refs from the
configuration is installed.

Dependencies are installed at the highest compatible version, keeping an
installed compatible version; plugins the sensor serves built in are not
downloaded. Requirements are checked against this sensor (--force overrides).
Files land atomically: all layers are downloaded, verified and extracted
before any installed file changes.`,
		Example: `  sakerctl artifact install falco-rules:^3
  sakerctl artifact install ghcr.io/falcosecurity/plugins/plugin/k8saudit:0.7.0 --plugins-dir /opt/plugins`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs = args
			o.resolveDepsSet = cmd.Flags().Changed("resolve-deps")
			return runInstall(cmd.Context(), f, o)
		},
	}
	fs := c.Flags()
	fs.StringVar(&o.RulesfilesDir, "rulesfiles-dir", "", "directory for rulesfiles (default artifact.install.rulesfilesDir, else /etc/falco)")
	fs.StringVar(&o.PluginsDir, "plugins-dir", "", "directory for plugins (default artifact.install.pluginsDir, else /usr/share/falco/plugins)")
	fs.StringVar(&o.AssetsDir, "assets-dir", "", "directory for assets (default artifact.install.assetsDir, else /etc/falco/assets)")
	fs.StringSliceVar(&o.AllowedTypes, "allowed-types", nil, "only install these types: rulesfile, plugin, asset (default artifact.allowedTypes)")
	fs.StringVar(&o.Platform, "platform", "", "OS/ARCH of plugins to install (default: this host)")
	fs.BoolVar(&o.Force, "force", false, "install even when requirements are not met")
	fs.BoolVar(&o.ResolveDeps, "resolve-deps", true, "install dependencies too")
	fs.BoolVar(&o.SkipBuiltin, "skip-builtin-plugins", false, "do not download plugin dependencies that sakerctl run serves built-in (container, k8saudit, json); Falco itself needs them")
	fs.BoolVar(&o.NoVerify, "no-verify", false, "do not verify the cosign signatures index entries ask for (also artifact.noVerify); at your own risk")
	fs.StringVar(&o.TrustedRoot, "trusted-root", "", "sigstore trusted_root.json, needed to verify keyless (certificate identity) signatures offline")
	fs.StringVarP(&o.Output, "output", "o", "", "output format: text or json")
	regcmd.AddTransportFlags(fs, &o.Transport)
	return c
}

func runInstall(ctx context.Context, f *cli.Factory, o *InstallOptions) error {
	if err := cli.ValidateOutput(o.Output); err != nil {
		return err
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	refs := o.Refs
	if len(refs) == 0 {
		refs = cfg.Artifact.Install.Refs
	}
	allowed := o.AllowedTypes
	if len(allowed) == 0 {
		allowed = cfg.Artifact.AllowedTypes
	}
	types, err := artifacts.ParseTypes(allowed)
	if err != nil {
		return fmt.Errorf("--allowed-types: %w", err)
	}
	resolveDeps := o.ResolveDeps
	if !o.resolveDepsSet && cfg.Artifact.Install.ResolveDeps != nil {
		resolveDeps = *cfg.Artifact.Install.ResolveDeps
	}
	dirs := artifacts.DefaultDirs()
	for t, pair := range map[artifacts.Type][2]string{
		artifacts.Rulesfile: {o.RulesfilesDir, cfg.Artifact.Install.RulesfilesDir},
		artifacts.Plugin:    {o.PluginsDir, cfg.Artifact.Install.PluginsDir},
		artifacts.Asset:     {o.AssetsDir, cfg.Artifact.Install.AssetsDir},
	} {
		if pair[0] != "" {
			dirs[t] = pair[0]
		} else if pair[1] != "" {
			dirs[t] = pair[1]
		}
	}
	in, err := newInstaller(f, o.Transport)
	if err != nil {
		return err
	}
	// Index entries with a signature.cosign block are verified before
	// anything is downloaded; full references carry no policy.
	in.Verify = signature.InstallHook(signature.HookOptions{
		TrustedRootFile: o.TrustedRoot,
		Skip:            o.NoVerify || cfg.Artifact.NoVerify,
		Logger:          f.Logger(),
	})
	done, err := in.Install(ctx, refs, artifacts.InstallOptions{
		Dirs: dirs, AllowedTypes: types, Platform: o.Platform, Force: o.Force, ResolveDeps: resolveDeps, SkipBuiltinPlugins: o.SkipBuiltin,
	})
	if err != nil {
		return err
	}
	if o.Output == "json" {
		return cli.PrintJSON(f.IO.Out, done)
	}
	for _, d := range done {
		via := ""
		if d.RequiredBy != "" {
			via = " (dependency of " + d.RequiredBy + ")"
		}
		fmt.Fprintf(f.IO.Out, "installed %s %s %s from %s%s: %s\n", d.Type, d.Name, d.Version, d.Ref, via, strings.Join(d.Files, ", "))
	}
	return nil
}

func newInstaller(f *cli.Factory, fl registry.Flags) (*artifacts.Installer, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	res, err := regcmd.NewResolver(f, fl)
	if err != nil {
		return nil, err
	}
	return &artifacts.Installer{
		Resolver: res,
		State:    artifacts.OpenState(cfg.StateDir()),
		Tracker:  regcmd.Progress(f),
		Logger:   f.Logger(),
		Engine:   artifacts.DefaultEngine(),
	}, nil
}
