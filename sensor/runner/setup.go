package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/config"
	"github.com/sakersec/saker/sensor/defaults"
	"github.com/sakersec/saker/sensor/event"
	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/outputs"
	"github.com/sakersec/saker/sensor/rules"
	"github.com/sakersec/saker/sensor/sources/k8saudit"
	"github.com/sakersec/saker/sensor/sources/syscall"
	"github.com/sakersec/saker/sensor/state"
	"github.com/sakersec/saker/sensor/tracefile"
)

// ErrRules wraps rules that fail to load; the message lists every error
// with its file:line:col.
var ErrRules = errors.New("rules do not load")

// CaptureOptions tell the capture what to collect.
type CaptureOptions struct {
	// Types are the event types the rules and the state need (the
	// in-kernel filter).
	Types []event.Type
	// BufferSize is the ring buffer size in bytes.
	BufferSize int
}

// SetupOptions configure [Setup].
type SetupOptions struct {
	Config *config.Config
	// Stdout receives stdout_output.
	Stdout io.Writer
	Logger *slog.Logger
	// OpenCapture opens the live kernel capture. Nil (or a replay) reads
	// ReplayFile instead.
	OpenCapture func(CaptureOptions) (EventSource, error)
	// ReplayFile is a trace file to read instead of the kernel (-e).
	ReplayFile string
	// WriteFile records every event to a trace file (--write).
	WriteFile string
	// DockerSocket overrides the Docker Engine API socket.
	DockerSocket string
	// CRISockets override the CRI sockets (containerd, CRI-O).
	CRISockets []string
	// OnAlert sees every alert (tests).
	OnAlert func(*alert.Alert)
	// ExtraSinks are added to the configured outputs (tests).
	ExtraSinks []outputs.Sink
	// LoadConfig reads the configuration again for a hot reload (files
	// and overrides); nil reloads the rules with Config.
	LoadConfig func() (*config.Config, error)
	// ConfigFiles are watched for changes along with the rules files.
	ConfigFiles []string
}

// Sensor is a configured pipeline, ready to Run.
type Sensor struct {
	o          SetupOptions
	log        *slog.Logger
	Runner     *Runner
	Ruleset    *rules.Ruleset
	LoadResult *rules.Result
	// RulesSource says where the rules came from, for logs.
	RulesSource []string
	Types       []event.Type
	// extra are SetupOptions.ExtraSinks, wrapped to outlive the outputs
	// a reload replaces; shutdown closes them.
	extra      []outputs.Sink
	containers *state.Containers
	record     *tracefile.Writer
	source     EventSource
	webAddr    chan net.Addr
	// audit is the k8s_audit pipeline, nil unless load_plugins has k8saudit.
	audit *auditPipeline
	// hot is the hot-reload state (reload.go).
	hot hotReload
}

// Sources returns the registry the sensor's rules load against: the
// syscall and k8s_audit sources with extraction.
func Sources() *fields.Registry {
	return fields.NewRegistry(syscall.Source(), k8saudit.Source())
}

// LoadRules loads the rules the configuration names, falling back to the
// embedded defaults as Falco's default rules_files do.
func LoadRules(cfg *config.Config, log *slog.Logger) (*rules.Ruleset, *rules.Result, []string, error) {
	plan := cfg.PlanRules()
	lo := rules.LoadOptions{Sources: Sources()}
	var from []string
	switch {
	case plan.Embedded:
		log.Info("no rules installed in the default locations; running on Saker's embedded default rules",
			"looked_in", strings.Join(config.DefaultRulesFiles, ", "))
		lo.Contents = []rules.Content{{Name: defaults.Name, Data: defaults.Rules}}
		from = []string{defaults.Name}
	default:
		defaultList := len(cfg.RulesFiles) == len(config.DefaultRulesFiles)
		for i := range cfg.RulesFiles {
			if i < len(config.DefaultRulesFiles) && cfg.RulesFiles[i] != config.DefaultRulesFiles[i] {
				defaultList = false
			}
		}
		for _, m := range plan.Missing {
			if !defaultList {
				return nil, nil, nil, fmt.Errorf("%w: rules file %s does not exist (fix rules_files or -r)", ErrRules, m)
			}
			log.Debug("default rules location absent", "path", m)
		}
		lo.Files = plan.Paths
		from = plan.Paths
	}
	rs, res, err := rules.Load(lo)
	if res != nil {
		for _, w := range res.Warnings() {
			log.Warn("rules: " + w.String())
		}
	}
	if err != nil {
		var b strings.Builder
		if res != nil {
			for _, d := range res.Errors() {
				b.WriteString("\n  ")
				b.WriteString(d.String())
			}
		}
		return nil, res, from, fmt.Errorf("%w:%s", ErrRules, b.String())
	}
	return rs, res, from, nil
}

// stateTypes are the events the state needs whatever the rules say.
var stateTypes = []event.Type{
	event.TypeExecve, event.TypeExecveat, event.TypeClone, event.TypeClone3, event.TypeFork, event.TypeVfork,
	event.TypeProcExit, event.TypeOpen, event.TypeOpenat, event.TypeOpenat2, event.TypeCreat, event.TypeClose,
	event.TypeDup, event.TypeDup2, event.TypeDup3, event.TypeFcntl, event.TypeSocket, event.TypeConnect,
	event.TypeAccept, event.TypeAccept4, event.TypeBind, event.TypePipe, event.TypePipe2, event.TypeSocketpair,
	event.TypeChdir, event.TypeFchdir, event.TypeMemfdCreate, event.TypeSetsid, event.TypeSetpgid,
}

// CaptureTypes is the in-kernel filter: the union of what the rules can
// match, what the state needs, and base_syscalls.custom_set ("!name"
// removes a type). base_syscalls.all or a rule without event types
// captures everything.
func CaptureTypes(rs *rules.Ruleset, cfg *config.Config) []event.Type {
	names, all := rs.EventTypes(fields.SyscallSourceName, Selection(cfg))
	if all || cfg.BaseSyscalls.All {
		return event.Types()
	}
	set := map[event.Type]bool{}
	for _, t := range stateTypes {
		set[t] = true
	}
	for _, n := range names {
		if t, ok := event.ParseType(n); ok {
			set[t] = true
		}
	}
	for _, n := range cfg.BaseSyscalls.CustomSet {
		if rest, ok := strings.CutPrefix(n, "!"); ok {
			if t, ok := event.ParseType(rest); ok {
				delete(set, t)
			}
			continue
		}
		if t, ok := event.ParseType(n); ok {
			set[t] = true
		}
	}
	var out []event.Type
	for _, t := range event.Types() {
		if set[t] {
			out = append(out, t)
		}
	}
	return out
}

// Hostname is evt.hostname and the alerts' hostname: FALCO_HOSTNAME when
// set, as in Falco, else the kernel's host name.
func Hostname() string {
	if h := os.Getenv("FALCO_HOSTNAME"); h != "" {
		return h
	}
	h, _ := os.Hostname()
	return h
}

// BuildOutputs creates the sinks the configuration enables.
func BuildOutputs(cfg *config.Config, stdout io.Writer, log *slog.Logger, extra ...outputs.Sink) (*outputs.Manager, error) {
	return buildOutputs(cfg, stdout, log, nil, extra...)
}

// buildOutputs is BuildOutputs whose sinks start writing once start is
// closed (nil: at once).
func buildOutputs(cfg *config.Config, stdout io.Writer, log *slog.Logger, start <-chan struct{}, extra ...outputs.Sink) (*outputs.Manager, error) {
	f := outputs.Format{JSON: cfg.JSONOutput, JSONOptions: cfg.JSONOptions(), ISO8601: cfg.TimeFormatISO8601}
	var sinks []outputs.Sink
	if cfg.StdoutOutput.Enabled {
		sinks = append(sinks, outputs.NewWriter("stdout", stdout, f, cfg.BufferedOutputs))
	}
	if cfg.FileOutput.Enabled {
		sinks = append(sinks, outputs.NewFile(cfg.FileOutput.Filename, f, cfg.FileOutput.KeepAlive, cfg.BufferedOutputs))
	}
	if cfg.ProgramOutput.Enabled {
		sinks = append(sinks, outputs.NewProgram(cfg.ProgramOutput.Program, f, cfg.ProgramOutput.KeepAlive))
	}
	if cfg.SyslogOutput.Enabled {
		sinks = append(sinks, outputs.NewSyslog(f))
	}
	if cfg.HTTPOutput.Enabled {
		h := cfg.HTTPOutput
		o := outputs.HTTPOptions{URL: h.URL, UserAgent: h.UserAgent, Format: f, Timeout: cfg.OutputTimeoutDuration(),
			Insecure: h.Insecure, CACert: h.CACert, CABundle: h.CABundle, CAPath: h.CAPath, MTLS: h.MTLS,
			ClientCert: h.ClientCert, ClientKey: h.ClientKey}
		if h.Echo {
			o.Echo = stdout
		}
		s, err := outputs.NewHTTP(o)
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, s)
	}
	sinks = append(sinks, extra...)
	return outputs.New(outputs.Options{QueueSize: cfg.OutputsQueue.Capacity, Logger: log, Start: start}, sinks...), nil
}

// Setup loads the rules, builds the outputs, the state and the event
// source from the configuration. Nothing is captured until Run.
func Setup(o SetupOptions) (*Sensor, error) {
	cfg := o.Config
	if cfg == nil {
		cfg = config.Default()
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	s := &Sensor{o: o, log: log, webAddr: make(chan net.Addr, 1)}
	rs, res, from, err := LoadRules(cfg, log)
	if err != nil {
		return nil, err
	}
	s.Ruleset, s.LoadResult, s.RulesSource = rs, res, from
	s.Types = CaptureTypes(rs, cfg)

	replay := o.ReplayFile
	if replay == "" && cfg.Engine.Kind == "replay" {
		replay = cfg.Engine.Replay.CaptureFile
	}
	s.containers = state.NewContainers(containersOptions(cfg, o, log))
	st := state.New(state.Options{Capacity: cfg.FalcoLibs.ThreadTableSize, Containers: s.containers, Offline: replay != "", Logger: log})

	ap, err := newAppender(cfg.AppendOutput, syscall.Source())
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	matching, err := rules.ParseRuleMatching(cfg.RuleMatching)
	if err != nil {
		return nil, err
	}
	for _, x := range o.ExtraSinks {
		s.extra = append(s.extra, shared{x})
	}
	om, err := BuildOutputs(cfg, o.Stdout, log, s.extra...)
	if err != nil {
		return nil, err
	}
	closeAll := func() {
		om.Close(context.Background())
		s.closeExtra()
		if s.source != nil {
			s.source.Close()
		}
		if s.record != nil {
			s.record.Close()
		}
	}

	if replay == "" { // a recording replays syscalls only
		if s.audit, err = newAuditPipeline(cfg, log); err != nil {
			closeAll()
			return nil, err
		}
		if s.audit != nil {
			app, err := newAppender(cfg.AppendOutput, k8saudit.Source())
			if err != nil {
				closeAll()
				return nil, fmt.Errorf("configuration: %w", err)
			}
			s.audit.app.Store(app)
		}
	}

	switch {
	case replay != "":
		r, err := tracefile.Open(replay)
		if err != nil {
			closeAll()
			return nil, err
		}
		s.source = traceSource{r}
	case s.audit != nil && (o.OpenCapture == nil || cfg.Engine.Kind == "nodriver"):
		s.source = newIdleSource() // Kubernetes audit events only
	case o.OpenCapture == nil || cfg.Engine.Kind == "nodriver":
		closeAll()
		return nil, errors.New("no event source: this build has no kernel capture and no trace file was given (-e FILE)")
	default:
		// The scan comes before the capture starts so that the first
		// events find their processes; processes started in between are
		// read from /proc when their first event arrives.
		if err := st.Scan(); err != nil {
			log.Warn("scanning /proc failed; processes are learnt from events only", "err", err)
		}
		src, err := o.OpenCapture(CaptureOptions{Types: s.Types, BufferSize: cfg.BufferSize()})
		if err != nil {
			closeAll()
			return nil, err
		}
		s.source = src
	}
	if o.WriteFile != "" {
		w, err := tracefile.Create(o.WriteFile)
		if err != nil {
			closeAll()
			return nil, err
		}
		s.record = w
		if replay == "" {
			// The recording starts with the processes and files that
			// already exist, so that a replay knows them.
			if err := st.Snapshot(time.Now().UnixNano(), w.Write); err != nil {
				closeAll()
				return nil, fmt.Errorf("trace file %s: %w", o.WriteFile, err)
			}
		}
	}
	r, err := New(Options{
		Source: s.source, Rules: rs, State: st, Outputs: om, Append: ap, Record: s.record, Hostname: Hostname(),
		Logger: log, OnAlert: o.OnAlert,
		Engine: rules.EngineOptions{RuleMatching: matching, MinPriority: cfg.Priority, Selection: Selection(cfg)},
	})
	if err != nil {
		closeAll()
		return nil, err
	}
	s.Runner = r
	if s.audit != nil {
		eo := rules.EngineOptions{RuleMatching: matching, MinPriority: cfg.Priority, Hostname: Hostname()}
		if err := s.audit.engine(rs, eo, r); err != nil {
			closeAll()
			return nil, err
		}
	}
	return s, nil
}

// Run runs the pipeline until ctx ends or a replay finishes, then drains
// the outputs (bounded by output_timeout) and closes the trace file.
func (s *Sensor) Run(ctx context.Context) error {
	cfg := s.o.Config
	if cfg == nil {
		cfg = config.Default()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.containers.Run(ctx)
	var webErr <-chan error
	if cfg.Webserver.Enabled && s.o.ReplayFile == "" {
		var extra []prometheus.Collector
		if s.audit != nil && s.audit.srv != nil {
			extra = append(extra, auditCollector{s.audit.srv})
		}
		addr, errc, err := Serve(ctx, cfg.Webserver, s.Runner.Handler(cfg.Webserver, cfg.Webserver.PrometheusMetricsEnabled, extra...))
		if err != nil {
			s.shutdown()
			return err
		}
		s.log.Info("webserver listening", "addr", addr.String())
		s.webAddr <- addr
		webErr = errc
	}
	if s.audit != nil {
		if err := s.audit.start(ctx); err != nil {
			s.shutdown()
			return err
		}
	}
	s.hot.mu.Lock() // a reload may already be replacing these
	from, ntypes := strings.Join(s.RulesSource, ", "), len(s.Types)
	s.hot.mu.Unlock()
	s.log.Info("sensor running", "rules", s.Runner.Rules(), "rules_from", from, "event_types", ntypes)
	if s.o.ReplayFile == "" && cfg.Engine.Kind != "replay" {
		go s.watchRules(ctx, cfg.WatchConfigFiles)
	}
	loopErr := make(chan error, 1)
	go func() { loopErr <- s.Runner.Run(ctx) }()
	var err error
	select {
	case err = <-loopErr:
	case err = <-webErr:
		if err == nil {
			err = <-loopErr
		} else {
			cancel()
			<-loopErr
		}
	}
	cancel()
	if s.audit != nil {
		s.audit.wait() // its last alerts reach the outputs before they close
	}
	s.shutdown()
	st := s.Runner.Stats()
	s.log.Info("sensor stopped", "events", st.Events, "alerts", st.Alerts, "drops", st.Drops)
	return err
}

func (s *Sensor) shutdown() {
	timeout := 5 * time.Second
	if s.o.Config != nil {
		timeout = max(s.config().OutputTimeoutDuration(), time.Second)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s.hot.mu.Lock() // a reload may be replacing the outputs
	err := s.Runner.out.Load().Close(ctx)
	s.hot.mu.Unlock()
	if err != nil {
		s.log.Warn("outputs did not drain before shutdown", "err", err)
	}
	s.closeExtra()
	if s.record != nil {
		if err := s.record.Close(); err != nil {
			s.log.Error("closing the trace file", "err", err)
		} else {
			s.log.Info("trace file written", "events", s.record.Count())
		}
	}
	s.source.Close()
}

// WebAddr returns the webserver's address once it listens (tests).
func (s *Sensor) WebAddr(ctx context.Context) (net.Addr, error) {
	select {
	case a := <-s.webAddr:
		s.webAddr <- a
		return a, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Containers returns the container metadata cache.
func (s *Sensor) Containers() *state.Containers { return s.containers }

// Outputs returns the current output manager (a reload may replace it;
// Runner.OutputStats counts across replacements).
func (s *Sensor) Outputs() *outputs.Manager { return s.Runner.out.Load() }

func (s *Sensor) closeExtra() {
	for _, x := range s.extra {
		if err := x.(shared).Sink.Close(); err != nil {
			s.log.Warn("closing an output", "output", x.Name(), "err", err)
		}
	}
}

// traceSource adapts a trace file reader.
type traceSource struct{ r *tracefile.Reader }

func (t traceSource) Read(ev *event.Event) error { return t.r.Read(ev) }
func (t traceSource) Close() error               { return t.r.Close() }

// Selection turns falco.yaml's `rules:` enable/disable entries into the
// engine's selection, applied in order over the files' enabled flags.
func Selection(cfg *config.Config) []rules.Selection {
	var sel []rules.Selection
	for _, r := range cfg.Rules {
		m, enable := r.Disable, false
		if r.Enable != nil {
			m, enable = r.Enable, true
		}
		if m == nil {
			continue
		}
		sel = append(sel, rules.Selection{Enable: enable, Rule: m.Rule, Tag: m.Tag})
	}
	return sel
}
