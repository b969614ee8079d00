package run

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/artifacts/follow"
	"github.com/sakersec/saker/cmd/artifact"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/sensor/config"
	"github.com/sakersec/saker/sensor/runner"
)

// FollowOptions make the sensor follow artifacts in-process: new versions
// are installed as `sakerctl artifact follow` does and the sensor reloads
// its rules at once.
type FollowOptions struct {
	// Refs are followed (--follow).
	Refs []string
	// FromConfig also follows artifact.follow.refs of sakerctl's
	// configuration (--follow-config).
	FromConfig bool
	// Schedule holds --follow-every, --follow-cron and
	// --follow-startup-behavior.
	Schedule artifact.FollowOptions
	// Factory gives sakerctl's configuration: registries, credentials and
	// the artifact.follow directories.
	Factory *cli.Factory
}

func (o *FollowOptions) enabled() bool { return len(o.Refs) > 0 || o.FromConfig }

func addFollowFlags(fl *pflag.FlagSet, o *FollowOptions) {
	fl.StringArrayVar(&o.Refs, "follow", nil, "follow this artifact (repeatable): install new versions and reload the rules without a restart")
	fl.BoolVar(&o.FromConfig, "follow-config", false, "also follow artifact.follow.refs of sakerctl's configuration (--config)")
	artifact.AddFollowFlags(fl, &o.Schedule, "follow-")
}

// startFollow runs the follower until ctx ends; every installed update
// triggers a reload.
func startFollow(ctx context.Context, o *FollowOptions, s *runner.Sensor) error {
	if !o.enabled() {
		return nil
	}
	if o.Factory == nil {
		return fmt.Errorf("--follow: no sakerctl configuration")
	}
	fo := o.Schedule
	fo.InProcess = true
	// A version that does not compile with the running configuration is
	// refused before it reaches the disk, so a restart never meets it; the
	// refusal is reported like a failed reload.
	fo.Validate = func(_ context.Context, _ *artifacts.Artifact, files map[string][]byte) error {
		return s.ValidateRules(files)
	}
	fo.OnCheck = func(ref string, err error) {
		if errors.Is(err, follow.ErrRejected) {
			s.RecordReloadError("follow: "+ref, err)
		}
	}
	fo.Refs = append([]string(nil), o.Refs...)
	if o.FromConfig {
		cfg, err := o.Factory.Config()
		if err != nil {
			return fmt.Errorf("--follow-config: %w", err)
		}
		if len(cfg.Artifact.Follow.Refs) == 0 {
			return fmt.Errorf("--follow-config: artifact.follow.refs is empty in %s", o.Factory.Options.ConfigFile)
		}
		fo.Refs = append(fo.Refs, cfg.Artifact.Follow.Refs...)
	}
	fl, err := artifact.NewFollower(o.Factory, &fo, func(u follow.Update) {
		s.TriggerReload(fmt.Sprintf("follow: %s %s installed", u.Name, u.NewVersion))
	})
	if err != nil {
		return fmt.Errorf("--follow: %w", err)
	}
	go fl.Run(ctx)
	return nil
}

// configFiles are the sensor's configuration files, watched for changes:
// the main file and those its config_files names.
func configFiles(main string, cfg *config.Config) []string {
	if main == "" {
		main = config.DefaultConfigFile
	}
	out := []string{main}
	for _, cf := range cfg.ConfigFiles {
		p := cf.Path
		if p != "" && !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(main), p)
		}
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
