// Package run implements `sakerctl run`, the detection sensor.
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/config"
	"github.com/sakersec/saker/sensor/outputs"
	"github.com/sakersec/saker/sensor/runner"
)

// Options are the flags of `sakerctl run`.
type Options struct {
	ConfigFile string
	Overrides  []string
	RulesFiles []string
	WriteFile  string
	ReplayFile string
	DryRun     bool
	// DockerSocket overrides the Docker Engine API socket.
	DockerSocket string
	// CRISockets override the CRI sockets (containerd, CRI-O).
	CRISockets []string
	// DriverDir holds the installed eBPF driver (sakerctl driver
	// install); empty means /etc/falco/drivers.
	DriverDir string

	Stdout io.Writer
	Logger *slog.Logger
	// OpenCapture opens the kernel capture; nil uses the embedded driver.
	OpenCapture func(runner.CaptureOptions, *slog.Logger) (runner.EventSource, error)
	// OnAlert and ExtraSinks are for in-process use (tests).
	OnAlert    func(*alert.Alert)
	ExtraSinks []outputs.Sink
	// Started, when set, receives the sensor once it is set up.
	Started func(*runner.Sensor)
	// NewLogger, when set, replaces Logger by one at falco.yaml's
	// log_level.
	NewLogger func(level string) (*slog.Logger, error)
	// Follow makes the sensor follow artifacts in-process (follow.go).
	Follow FollowOptions
}

// falcoLogLevel maps Falco's log levels onto slog's.
func falcoLogLevel(l string) string {
	switch strings.ToLower(l) {
	case "debug", "trace":
		return "debug"
	case "warning", "warn":
		return "warn"
	case "error", "critical", "alert", "emergency", "fatal":
		return "error"
	}
	return "info"
}

// openCapture is the eBPF driver, installed or embedded (capture.go).
var openCapture func(co runner.CaptureOptions, driverDir string, log *slog.Logger) (runner.EventSource, error)

// NewCmd returns the run command.
func NewCmd(f *cli.Factory) *cobra.Command {
	o := &Options{}
	c := &cobra.Command{
		Use:   "run",
		Short: "Run the detection sensor",
		Long: `Run the Falco-compatible detection sensor: capture system calls with the embedded
eBPF driver, track processes, files and containers, evaluate Falco rules and send
alerts to the configured outputs.

With no configuration it runs on Falco's defaults: rules from /etc/falco
(falco_rules.yaml, falco_rules.local.yaml, rules.d), or Saker's embedded default
rules when none are installed; alerts on stdout; the webserver on :8765 with
/healthz, /versions and /metrics.`,
		Example: `  sudo sakerctl run
  sudo sakerctl run -c /etc/falco/falco.yaml -o json_output=true
  sudo sakerctl run -r ./my_rules.yaml -o http_output.enabled=true -o http_output.url=http://localhost:2801
  sudo sakerctl run --write capture.trace      # record events while detecting
  sakerctl run -e capture.trace -r ./my_rules.yaml   # replay a recording against rules
  sakerctl run --dry-run -c falco.yaml         # check configuration and rules, then exit`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Stdout = f.IO.Out
			o.Logger = f.Logger()
			o.Follow.Factory = f
			if o.DriverDir == "" {
				if cfg, err := f.Config(); err == nil {
					o.DriverDir = cfg.Driver.Dir
				}
			}
			if fl := cmd.Flag("log-level"); fl == nil || !fl.Changed {
				// Without --log-level, falco.yaml's log_level decides.
				o.NewLogger = func(level string) (*slog.Logger, error) {
					return cli.NewLogger(f.IO.ErrOut, falcoLogLevel(level), f.Options.LogFormat)
				}
			}
			return Run(cmd.Context(), o)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&o.ConfigFile, "falco-config", "c", "", "sensor configuration in falco.yaml's layout (default /etc/falco/falco.yaml when it exists)")
	fl.StringArrayVarP(&o.Overrides, "option", "o", nil, "set a configuration key: -o key=value, dotted paths, name[] appends to a list, values in YAML ([a,b])")
	fl.StringArrayVarP(&o.RulesFiles, "rules", "r", nil, "rules file or directory to load instead of rules_files (repeatable)")
	fl.StringVar(&o.WriteFile, "write", "", "record every captured event to this trace file")
	fl.StringVarP(&o.ReplayFile, "replay", "e", "", "read events from a trace file (recorded with --write) instead of the kernel")
	fl.BoolVar(&o.DryRun, "dry-run", false, "load the configuration and the rules, report them, and exit")
	fl.StringVar(&o.DriverDir, "driver-dir", "", "directory of the driver installed by sakerctl driver install (default: driver.dir, else /etc/falco/drivers)")
	fl.StringVar(&o.DockerSocket, "docker-socket", "", "Docker Engine API socket for container metadata (default /var/run/docker.sock)")
	fl.StringArrayVar(&o.CRISockets, "cri-socket", nil, "CRI socket (containerd, CRI-O) for container and pod metadata, repeatable (default: the usual containerd, CRI-O and k3s sockets)")
	addFollowFlags(fl, &o.Follow)
	return c
}

// Run loads the configuration and runs the sensor until ctx ends (SIGINT,
// SIGTERM) or a replay finishes.
func Run(ctx context.Context, o *Options) error {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, warnings, err := config.Load(config.LoadOptions{File: o.ConfigFile, Overrides: o.Overrides, RulesFiles: o.RulesFiles})
	for _, w := range warnings {
		log.Warn(w.String())
	}
	if err != nil {
		return err
	}
	if o.NewLogger != nil && cfg.LogLevel != "" {
		if l, err := o.NewLogger(cfg.LogLevel); err == nil {
			log = l
		}
	}
	if o.DryRun {
		rs, res, from, err := runner.LoadRules(cfg, log)
		if err != nil {
			return err
		}
		types := runner.CaptureTypes(rs, cfg)
		names := make([]string, len(types))
		for i, t := range types {
			names[i] = t.String()
		}
		fmt.Fprintf(o.Stdout, "Rules: %d of %d enabled, %d macros, %d lists (from %s)\nCaptured event types (%d): %s\n",
			res.EnabledRules, res.Rules, res.Macros, res.Lists, strings.Join(from, ", "), len(names), strings.Join(names, " "))
		return nil
	}
	open := o.OpenCapture
	if open == nil && openCapture != nil {
		open = func(co runner.CaptureOptions, l *slog.Logger) (runner.EventSource, error) {
			return openCapture(co, o.DriverDir, l)
		}
	}
	so := runner.SetupOptions{
		Config: cfg, Stdout: o.Stdout, Logger: log, ReplayFile: o.ReplayFile, WriteFile: o.WriteFile,
		DockerSocket: o.DockerSocket, CRISockets: o.CRISockets, OnAlert: o.OnAlert, ExtraSinks: o.ExtraSinks,
		LoadConfig: func() (*config.Config, error) {
			c, _, err := config.Load(config.LoadOptions{File: o.ConfigFile, Overrides: o.Overrides, RulesFiles: o.RulesFiles})
			return c, err
		},
		ConfigFiles: configFiles(o.ConfigFile, cfg),
	}
	if open != nil {
		so.OpenCapture = func(co runner.CaptureOptions) (runner.EventSource, error) { return open(co, log) }
	}
	s, err := runner.Setup(so)
	if err != nil {
		return err
	}
	if o.Started != nil {
		o.Started(s)
	}
	ctx, stopFollow := context.WithCancel(ctx)
	defer stopFollow()
	if err := startFollow(ctx, &o.Follow, s); err != nil {
		return err
	}
	if err := s.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
