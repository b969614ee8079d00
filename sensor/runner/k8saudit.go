package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/config"
	"github.com/sakersec/saker/sensor/event"
	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/rules"
	"github.com/sakersec/saker/sensor/sources/k8saudit"
)

// auditPipeline is the k8s_audit side of the sensor: the audit webhook (or
// a JSON-lines file, when open_params is a path) feeding its own engine on
// its own goroutine. Its alerts share the outputs with the syscall loop.
type auditPipeline struct {
	pc   k8saudit.PluginConfig
	log  *slog.Logger
	srv  *k8saudit.Server
	eng  *rules.Engine
	done chan struct{}
	url  chan string // the webhook URL once bound
	// app holds the append_output entries compiled for k8s_audit (a
	// reload replaces them); cur is the event being evaluated, which they
	// read. Only the pipeline's goroutine uses them.
	app atomic.Pointer[appender]
	cur fields.Event
	// onAlert hands the engine's alerts to the runner.
	onAlert func(*alert.Alert)
	// auditSwap carries a reloaded engine to the pipeline (reload.go).
	auditSwap
}

// newAuditPipeline returns the pipeline when load_plugins enables k8saudit,
// nil otherwise. Without a plugins entry the plugin's defaults apply
// (http://:9765/k8s-audit).
func newAuditPipeline(cfg *config.Config, log *slog.Logger) (*auditPipeline, error) {
	if !slices.Contains(cfg.LoadPlugins, "k8saudit") {
		return nil, nil
	}
	var entry config.Plugin
	for _, p := range cfg.Plugins {
		if p.Name == "k8saudit" {
			entry = p
		}
	}
	pc, err := k8saudit.FromFalcoPlugin(entry.OpenParams, entry.InitConfig)
	if err != nil {
		return nil, fmt.Errorf("configuration: plugins[k8saudit]: %w", err)
	}
	for _, k := range pc.Ignored {
		log.Info("k8saudit init_config key has no effect in Saker", "key", k)
	}
	pc.Server.Logger = log
	a := &auditPipeline{pc: pc, log: log, done: make(chan struct{}), url: make(chan string, 1)}
	if pc.File == "" {
		// Created now so that /metrics can read its counters from the
		// start; start binds it.
		a.srv = k8saudit.NewServer(pc.Server)
	}
	return a, nil
}

// engine builds the k8s_audit engine with the syscall engine's options;
// its alerts go out through r like the syscall ones.
func (a *auditPipeline) engine(rs *rules.Ruleset, eo rules.EngineOptions, r *Runner) error {
	a.onAlert = func(al *alert.Alert) { r.emit(al, a.cur, a.app.Load()) }
	eng, err := a.newEngine(rs, eo)
	if err != nil {
		return err
	}
	a.eng = eng
	return nil
}

// newEngine builds an engine for the k8s_audit rules of rs.
func (a *auditPipeline) newEngine(rs *rules.Ruleset, eo rules.EngineOptions) (*rules.Engine, error) {
	eo.Source = k8saudit.SourceName
	eo.OnAlert = a.onAlert
	return rs.NewEngine(eo)
}

// start binds the webhook (so a busy port fails the start) and runs the
// pipeline until ctx ends; wait returns once the last event is evaluated.
func (a *auditPipeline) start(ctx context.Context) error {
	if a.pc.File != "" {
		f, err := os.Open(a.pc.File)
		if err != nil {
			return fmt.Errorf("k8saudit: %w", err)
		}
		a.log.Info("reading Kubernetes audit events", "file", a.pc.File, "rules", a.eng.Rules())
		go func() {
			defer close(a.done)
			defer f.Close()
			err := k8saudit.ReadLines(f, int(a.pc.Server.MaxBodyBytes), func(e *k8saudit.Event) {
				if ctx.Err() == nil {
					a.Process(e, e.Time)
				}
			}, func(err error) { a.log.Warn("k8saudit: skipped an invalid event", "err", err) })
			if err != nil {
				a.log.Error("k8saudit: reading "+a.pc.File+" stopped", "err", err)
			}
		}()
		return nil
	}
	if err := a.srv.Listen(); err != nil {
		return err
	}
	a.log.Info("Kubernetes audit webhook enabled", "url", a.srv.URL(), "rules", a.eng.Rules())
	a.url <- a.srv.URL()
	go func() {
		if err := a.srv.Serve(ctx); err != nil {
			a.log.Error("k8s audit webhook stopped", "err", err)
		}
	}()
	go func() {
		defer close(a.done)
		k8saudit.Pump(a.srv.Events(), a)
	}()
	return nil
}

func (a *auditPipeline) wait() { <-a.done }

// AuditURL returns the Kubernetes audit webhook's URL once it listens
// (an open_params port of 0 binds a free port). It fails at once when the
// sensor has no webhook.
func (s *Sensor) AuditURL(ctx context.Context) (string, error) {
	if s.audit == nil || s.audit.pc.File != "" {
		return "", errors.New("the sensor has no Kubernetes audit webhook (load_plugins lacks k8saudit, or open_params is a file)")
	}
	select {
	case u := <-s.audit.url:
		s.audit.url <- u
		return u, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// idleSource stands in for the kernel capture when the sensor runs on
// Kubernetes audit events only (no driver): it delivers nothing until
// closed.
type idleSource struct {
	once   sync.Once
	closed chan struct{}
}

func newIdleSource() *idleSource { return &idleSource{closed: make(chan struct{})} }

func (s *idleSource) Read(*event.Event) error {
	<-s.closed
	return io.EOF
}

func (s *idleSource) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}
