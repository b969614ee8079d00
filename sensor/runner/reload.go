package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sakersec/saker/sensor/config"
	"github.com/sakersec/saker/sensor/event"
	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/reload"
	"github.com/sakersec/saker/sensor/rules"
)

// TypeSetter is implemented by sources whose in-kernel filter can change
// while running (the eBPF driver).
type TypeSetter interface {
	SetTypes([]event.Type) error
}

// ReloadInterval bounds how long a change on disk takes to go live: the
// watcher's debounce plus compiling the stock rules, with room to spare.
// Tests wait this long before concluding a change was not applied.
const ReloadInterval = 2 * time.Second

// hotReload is the sensor's reload state.
type hotReload struct {
	mu  sync.Mutex // serialises reloads
	cfg *config.Config
	// restart lists the changed keys only a restart applies (reconfig.go).
	restart []string
	once    sync.Once
	rl      *reload.Reloader
}

// reloader returns the sensor's Reloader, created on first use so that
// triggers sent before Run are kept.
func (s *Sensor) reloader() *reload.Reloader {
	s.hot.once.Do(func() {
		cfg := s.config()
		s.hot.rl, _ = reload.New(reload.Options{
			Reload: func(ctx context.Context, reason string) error { return s.reload(ctx, reason, true) },
			Paths:  s.watchPaths,
			Watch:  cfg.WatchConfigFiles,
			Status: &s.Runner.reloads,
			Logger: s.log,
		})
	})
	return s.hot.rl
}

// config is the configuration of the running rules.
func (s *Sensor) config() *config.Config {
	s.hot.mu.Lock()
	defer s.hot.mu.Unlock()
	return s.configLocked()
}

func (s *Sensor) configLocked() *config.Config {
	switch {
	case s.hot.cfg != nil:
		return s.hot.cfg
	case s.o.Config != nil:
		return s.o.Config
	}
	return config.Default()
}

// TriggerReload asks for a reload of the configuration and the rules (a
// follower installed a new version). It never blocks; the reload runs
// debounced on the sensor's reload goroutine, and its outcome shows in
// /healthz and /metrics.
func (s *Sensor) TriggerReload(reason string) { s.reloader().Trigger(reason) }

// ReloadStatus returns the outcome of the reloads so far.
func (s *Sensor) ReloadStatus() reload.Snapshot { return s.Runner.reloads.Snapshot() }

// Reload loads the rules again with the running configuration and
// switches the engines to them. When the new rules do not load, the
// running ones stay and the error says why.
func (s *Sensor) Reload() error {
	start := time.Now()
	err := s.reload(context.Background(), "Reload", false)
	s.Runner.reloads.Record("Reload", err, time.Since(start), time.Now())
	return err
}

// reload compiles the rules completely (and, with reconfigure and
// SetupOptions.LoadConfig, reads the configuration again) before anything
// changes; only then are the new engines handed to the event loops, which
// pick them up between two events, so no event is dropped or evaluated by
// a half-built engine.
func (s *Sensor) reload(_ context.Context, reason string, reconfigure bool) error {
	s.hot.mu.Lock()
	defer s.hot.mu.Unlock()
	applied := s.configLocked()
	cfg := applied
	if reconfigure && s.o.LoadConfig != nil {
		c, err := s.o.LoadConfig()
		if err != nil {
			return fmt.Errorf("reload (%s): configuration: %w; keeping the running rules and configuration", reason, err)
		}
		cfg = c
	}
	rs, res, from, err := LoadRules(cfg, s.log)
	if err != nil {
		return fmt.Errorf("reload (%s): keeping the running rules: %w", reason, err)
	}
	matching, err := rules.ParseRuleMatching(cfg.RuleMatching)
	if err != nil {
		return fmt.Errorf("reload (%s): keeping the running rules: %w", reason, err)
	}
	eo := s.Runner.eo
	eo.RuleMatching, eo.MinPriority, eo.Selection = matching, cfg.Priority, Selection(cfg)
	eng, err := rs.NewEngine(eo)
	if err != nil {
		return fmt.Errorf("reload (%s): keeping the running rules: %w", reason, err)
	}
	var auditEng *rules.Engine
	if s.audit != nil {
		if auditEng, err = s.audit.newEngine(rs, eo); err != nil {
			return fmt.Errorf("reload (%s): keeping the running rules: %w", reason, err)
		}
	}
	rc, err := s.prepare(applied, cfg)
	if err != nil {
		return fmt.Errorf("reload (%s): configuration: %w; keeping the running rules and configuration", reason, err)
	}
	// Widen the in-kernel filter before the swap so that the new rules
	// see their first events.
	types := CaptureTypes(rs, cfg)
	if ts, ok := s.source.(TypeSetter); ok {
		if err := ts.SetTypes(types); err != nil {
			s.log.Warn("reload: the capture keeps its previous event types", "err", err)
		} else {
			s.Types = types
		}
	} else if missing := missingTypes(s.Types, types); len(missing) > 0 {
		s.log.Warn("reload: the new rules need event types the capture does not collect; restart the sensor to capture them", "types", strings.Join(missing, " "))
	}
	s.Runner.eo = eo
	s.Runner.swap(eng)
	if auditEng != nil {
		s.audit.pending.Store(auditEng)
	}
	s.apply(rc, applied)
	s.noteRestart(cfg)
	s.hot.cfg = cfg
	s.Ruleset, s.LoadResult, s.RulesSource = rs, res, from
	s.log.Info("rules loaded", "reason", reason, "rules", eng.Rules(), "enabled", res.EnabledRules, "from", strings.Join(from, ", "), "event_types", len(types))
	return nil
}

// swap hands e to the event loop, which adopts it before its next event.
func (r *Runner) swap(e *rules.Engine) {
	r.pending.Store(e)
	r.nrules.Store(int64(e.Rules()))
}

func missingTypes(have, want []event.Type) []string {
	set := map[event.Type]bool{}
	for _, t := range have {
		set[t] = true
	}
	var out []string
	for _, t := range want {
		if !set[t] {
			out = append(out, t.String())
		}
	}
	return out
}

// watchPaths are the files whose changes reload: the configuration files
// and the rules files and directories (the default locations too when the
// embedded rules run, so installing rules into /etc/falco takes effect).
func (s *Sensor) watchPaths() []string {
	cfg := s.config()
	paths := append([]string(nil), s.o.ConfigFiles...)
	return append(paths, cfg.RulesFiles...)
}

// watchRules reloads on SIGHUP, on TriggerReload and, when the
// configuration watches files (watch_config_files), whenever a rules or
// configuration file changes.
func (s *Sensor) watchRules(ctx context.Context, _ bool) {
	if err := s.reloader().Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		s.log.Error("rules reloader stopped", "err", err)
	}
}

// writeHealth writes /healthz's body: ok, with the reload outcome once a
// reload happened. A failed reload does not fail the health check: the
// previous rules still run, and a restart would not load the new ones
// either.
func (r *Runner) writeHealth(w http.ResponseWriter) {
	sn := r.reloads.Snapshot()
	if sn.Reloads == 0 && sn.Failures == 0 {
		w.Write([]byte(`{"status": "ok"}`))
		return
	}
	json.NewEncoder(w).Encode(struct {
		Status string          `json:"status"`
		Rules  reload.Snapshot `json:"rules_reload"`
	}{"ok", sn})
}

// auditSwap lets the k8s_audit engine be replaced between two events.
type auditSwap struct {
	pending atomic.Pointer[rules.Engine]
}

// current returns the engine to evaluate the next event with.
func (a *auditPipeline) current() *rules.Engine {
	if e := a.pending.Load(); e != nil {
		a.eng = e
		a.pending.CompareAndSwap(e, nil)
	}
	return a.eng
}

// Process implements k8saudit.Processor through the current engine.
func (a *auditPipeline) Process(evt fields.Event, ts time.Time) int {
	a.cur = evt
	n := a.current().Process(evt, ts)
	a.cur = nil
	return n
}
