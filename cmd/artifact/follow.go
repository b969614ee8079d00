package artifact

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/artifacts/follow"
	"github.com/sakersec/saker/artifacts/signature"
	regcmd "github.com/sakersec/saker/cmd/registry"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/registry"
)

// FollowOptions are the inputs of `artifact follow` (and of `run
// --follow`). Empty fields fall back to artifact.follow.* in the
// configuration, then to artifact.install.*.
type FollowOptions struct {
	Refs            []string
	Every           string
	Cron            string
	StartupBehavior string
	RulesfilesDir   string
	PluginsDir      string
	AssetsDir       string
	AllowedTypes    []string
	Platform        string
	// Once checks every reference one time and exits.
	Once bool
	// InProcess is set by `run --follow`: the sensor is this binary, so
	// artifact.follow.falcoversions is not consulted.
	InProcess bool
	// NoVerify skips cosign verification of index entries that ask for
	// it (also artifact.noVerify); TrustedRoot is sigstore's
	// trusted_root.json for keyless signatures. As for install.
	NoVerify    bool
	TrustedRoot string
	// Validate and OnCheck are passed to the follower (follow.Options).
	Validate  func(ctx context.Context, a *artifacts.Artifact, files map[string][]byte) error
	OnCheck   func(ref string, err error)
	Transport registry.Flags
}

func newFollowCmd(f *cli.Factory) *cobra.Command {
	o := &FollowOptions{}
	c := &cobra.Command{
		Use:   "follow [REF...]",
		Short: "Keep artifacts at their newest version: check on a schedule and install updates",
		Long: `Follow artifacts: check each REF on a schedule (--every, default 6h, or --cron)
and install a new version when its digest differs from the installed one. Without
REF, artifact.follow.refs from the configuration is followed.

The first check follows --startup-behavior: immediate, after a random part of one
interval (jitter, so a fleet started together does not hit the registry at once),
or at the first scheduled time (skip). Digests already in the install state are
not downloaded again. Requirements are checked against this sensor before
installing; files land atomically; the rules, macros and lists that changed are
logged by name. Registry errors are retried with exponential backoff (a 429's
Retry-After is waited out) and never stop the command. A running 'sakerctl run'
reloads rules files when they change on disk.`,
		Example: `  sakerctl artifact follow falco-rules:3 --every 1h
  sakerctl artifact follow ghcr.io/falcosecurity/rules/falco-rules:^3 --cron "0 */4 * * *" --startup-behavior jitter
  sakerctl artifact follow --once   # check artifact.follow.refs one time`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs = args
			return runFollow(cmd.Context(), f, o)
		},
	}
	AddFollowFlags(c.Flags(), o, "")
	c.Flags().BoolVar(&o.Once, "once", false, "check every reference one time, then exit")
	c.Flags().StringVar(&o.RulesfilesDir, "rulesfiles-dir", "", "directory for rulesfiles (default artifact.follow.rulesfilesDir, else artifact.install.rulesfilesDir, else /etc/falco)")
	c.Flags().StringVar(&o.PluginsDir, "plugins-dir", "", "directory for plugins (default artifact.follow.pluginsDir, else /usr/share/falco/plugins)")
	c.Flags().StringVar(&o.AssetsDir, "assets-dir", "", "directory for assets (default artifact.follow.assetsDir, else /etc/falco/assets)")
	c.Flags().StringSliceVar(&o.AllowedTypes, "allowed-types", nil, "only install these types: rulesfile, plugin, asset (default artifact.allowedTypes)")
	c.Flags().StringVar(&o.Platform, "platform", "", "OS/ARCH of plugins to install (default: this host)")
	return c
}

// AddFollowFlags adds the schedule and transport flags, their names
// prefixed with prefix ("follow-" under `run`).
func AddFollowFlags(fs *pflag.FlagSet, o *FollowOptions, prefix string) {
	fs.StringVar(&o.Every, prefix+"every", "", "check interval, e.g. 30m (default artifact.follow.every, else 6h)")
	fs.StringVar(&o.Cron, prefix+"cron", "", `check on a 5-field cron schedule instead, e.g. "0 */4 * * *" (default artifact.follow.cron)`)
	fs.StringVar(&o.StartupBehavior, prefix+"startup-behavior", "", "first check: immediate, jitter or skip (default artifact.follow.startupBehavior, else immediate)")
	fs.BoolVar(&o.NoVerify, prefix+"no-verify", false, "do not verify the cosign signatures index entries ask for (also artifact.noVerify); at your own risk")
	fs.StringVar(&o.TrustedRoot, prefix+"trusted-root", "", "sigstore trusted_root.json, needed to verify keyless (certificate identity) signatures offline")
	if prefix == "" {
		regcmd.AddTransportFlags(fs, &o.Transport)
	}
}

// NewFollower builds a follower from o and the configuration. onUpdate
// (may be nil) sees every installed update.
func NewFollower(f *cli.Factory, o *FollowOptions, onUpdate func(follow.Update)) (*follow.Follower, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	fc := cfg.Artifact.Follow
	refs := o.Refs
	if len(refs) == 0 {
		refs = fc.Refs
	}
	every, cron := o.Every, o.Cron
	if every == "" && cron == "" {
		every, cron = fc.Every, fc.Cron
	}
	sched, err := follow.ParseSchedule(every, cron)
	if err != nil {
		return nil, err
	}
	startup := o.StartupBehavior
	if startup == "" {
		startup = fc.StartupBehavior
	}
	sb, err := follow.ParseStartupBehavior(startup)
	if err != nil {
		return nil, err
	}
	allowed := o.AllowedTypes
	if len(allowed) == 0 {
		allowed = cfg.Artifact.AllowedTypes
	}
	types, err := artifacts.ParseTypes(allowed)
	if err != nil {
		return nil, fmt.Errorf("--allowed-types: %w", err)
	}
	dirs := artifacts.DefaultDirs()
	for t, cands := range map[artifacts.Type][3]string{
		artifacts.Rulesfile: {o.RulesfilesDir, fc.RulesfilesDir, cfg.Artifact.Install.RulesfilesDir},
		artifacts.Plugin:    {o.PluginsDir, fc.PluginsDir, cfg.Artifact.Install.PluginsDir},
		artifacts.Asset:     {o.AssetsDir, fc.AssetsDir, cfg.Artifact.Install.AssetsDir},
	} {
		for _, d := range cands {
			if d != "" {
				dirs[t] = d
				break
			}
		}
	}
	in, err := newInstaller(f, o.Transport)
	if err != nil {
		return nil, err
	}
	in.Tracker = nil // no progress bars in a long-running command
	// Every new version is verified before download, as install does.
	in.Verify = signature.InstallHook(signature.HookOptions{
		TrustedRootFile: o.TrustedRoot,
		Skip:            o.NoVerify || cfg.Artifact.NoVerify,
		Logger:          f.Logger(),
	})
	if fc.StateDir != "" {
		in.State = artifacts.OpenState(fc.StateDir)
	}
	fo := follow.Options{
		Refs: refs, Installer: in, Schedule: sched, StartupBehavior: sb, Logger: f.Logger(), OnUpdate: onUpdate,
		Validate: o.Validate, OnCheck: o.OnCheck,
		Install: artifacts.InstallOptions{Dirs: dirs, AllowedTypes: types, Platform: o.Platform},
	}
	if fc.FalcoVersions != "" && !o.InProcess {
		// falcoctl's sidecar setting: check requirements against the
		// running sensor rather than this binary.
		fo.Engine = follow.VersionsEngine(nil, fc.FalcoVersions)
	}
	return follow.New(fo)
}

func runFollow(ctx context.Context, f *cli.Factory, o *FollowOptions) error {
	var updates []follow.Update
	fl, err := NewFollower(f, o, func(u follow.Update) { updates = append(updates, u) })
	if err != nil {
		return err
	}
	if !o.Once {
		return fl.Run(ctx)
	}
	cfg, _ := f.Config()
	refs := o.Refs
	if len(refs) == 0 {
		refs = cfg.Artifact.Follow.Refs
	}
	var failed []string
	for _, r := range refs {
		if _, err := fl.Check(ctx, r); err != nil {
			f.Logger().Error("follow: check failed", "ref", r, "err", err)
			failed = append(failed, r)
		}
	}
	for _, u := range updates {
		from := ""
		if u.OldVersion != "" {
			from = " (was " + u.OldVersion + ")"
		}
		fmt.Fprintf(f.IO.Out, "updated %s %s to %s%s: %s\n", u.Type, u.Name, u.NewVersion, from, strings.Join(u.Files, ", "))
		for _, c := range u.Changes {
			fmt.Fprintf(f.IO.Out, "  %s: %s\n", c.File, c.Summary())
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("follow: %d of %d references failed: %s", len(failed), len(refs), strings.Join(failed, ", "))
	}
	return nil
}
