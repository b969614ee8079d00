package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/event"
	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/outputs"
	"github.com/sakersec/saker/sensor/reload"
	"github.com/sakersec/saker/sensor/rules"
	"github.com/sakersec/saker/sensor/sources/syscall"
	"github.com/sakersec/saker/sensor/state"
	"github.com/sakersec/saker/sensor/tracefile"
)

// EventSource delivers decoded events: the kernel capture or a trace file.
type EventSource interface {
	// Read decodes the next event into ev. It returns io.EOF at the end of
	// a recording; a live source blocks until an event arrives or Close.
	Read(ev *event.Event) error
	// Close stops the source and interrupts a blocked Read.
	Close() error
}

// DropCounter is implemented by sources that can lose events (the ring
// buffer was full).
type DropCounter interface {
	Drops() (uint64, error)
}

// Options are the parts a Runner wires together.
type Options struct {
	Source  EventSource
	Rules   *rules.Ruleset
	Engine  rules.EngineOptions
	State   *state.Table
	Outputs *outputs.Manager
	// Append are the compiled append_output entries (see NewAppender).
	Append *appender
	// Record, when set, receives every event (--write).
	Record   *tracefile.Writer
	Hostname string
	Logger   *slog.Logger
	// OnAlert, when set, sees every alert after append_output (tests).
	OnAlert func(*alert.Alert)
}

// Runner runs the event loop.
type Runner struct {
	o      Options
	engine *rules.Engine
	eo     rules.EngineOptions
	// pending is a new engine (a rules reload) the loop picks up before
	// its next event; rules counts the current engine's rules for readers
	// on other goroutines.
	pending atomic.Pointer[rules.Engine]
	nrules  atomic.Int64
	// reloads records hot reloads for /healthz and /metrics (reload.go).
	reloads reload.Status
	// out and app are the outputs and the syscall append_output entries;
	// a reload replaces them (reconfig.go). retired sums the counters of
	// replaced outputs, by sink name, for /metrics.
	out      atomic.Pointer[outputs.Manager]
	app      atomic.Pointer[appender]
	draining *outputs.Manager // guarded by mu
	retired  map[string]outputs.SinkStats
	sev      syscall.Event
	ev       event.Event

	events  atomic.Uint64
	alerts  atomic.Uint64
	mu      sync.Mutex
	byRule  map[ruleKey]uint64
	started time.Time
	ready   atomic.Bool
}

type ruleKey struct {
	rule     string
	priority alert.Priority
}

// New builds the engine for the syscall rules of o.Rules.
func New(o Options) (*Runner, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Runner{o: o, byRule: map[ruleKey]uint64{}, retired: map[string]outputs.SinkStats{}, started: time.Now()}
	if o.Outputs != nil {
		r.out.Store(o.Outputs)
	}
	if o.Append != nil {
		r.app.Store(o.Append)
	}
	eo := o.Engine
	eo.Source = fields.SyscallSourceName
	eo.Hostname = o.Hostname
	eo.OnAlert = r.onAlert
	eng, err := o.Rules.NewEngine(eo)
	if err != nil {
		return nil, err
	}
	r.engine, r.eo = eng, eo
	r.nrules.Store(int64(eng.Rules()))
	r.sev.State = o.State
	r.sev.Hostname = o.Hostname
	r.sev.StartTS = r.started.UnixNano()
	return r, nil
}

// Rules returns the number of rules the engine evaluates. Safe for
// concurrent use.
func (r *Runner) Rules() int { return int(r.nrules.Load()) }

// SetRules switches to rs: the event loop starts using it at its next
// event, so no event is evaluated by a half-built engine. Safe for
// concurrent use.
func (r *Runner) SetRules(rs *rules.Ruleset) error {
	e, err := rs.NewEngine(r.eo)
	if err != nil {
		return err
	}
	r.pending.Store(e)
	r.nrules.Store(int64(e.Rules()))
	return nil
}

func (r *Runner) onAlert(a *alert.Alert) { r.emit(a, &r.sev, r.app.Load()) }

// emit is the one way out for the alerts of every source: ap's
// append_output entries (compiled for a's source) read from evt, the event
// that raised a; then the counters, the outputs and the OnAlert hook. Each
// source calls it from its own goroutine with its own appender.
func (r *Runner) emit(a *alert.Alert, evt fields.Event, ap *appender) {
	if ap != nil {
		ap.apply(a, evt)
	}
	r.alerts.Add(1)
	r.mu.Lock()
	r.byRule[ruleKey{a.Rule, a.Priority}]++
	r.mu.Unlock()
	r.send(a)
	if r.o.OnAlert != nil {
		r.o.OnAlert(a)
	}
}

// Run reads events until the source ends (nil error for a recording's
// end) or ctx is cancelled (nil error too). Other source errors stop it.
func (r *Runner) Run(ctx context.Context) error {
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ctx.Done():
			r.o.Source.Close()
		case <-stop:
		}
	}()
	r.ready.Store(true)
	defer r.ready.Store(false)
	for {
		err := r.o.Source.Read(&r.ev)
		if err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("reading events: %w", err)
		}
		r.Process(&r.ev)
	}
}

// Process runs one event through the state and the rules. Run calls it;
// it is exported for benchmarks and in-process sources.
func (r *Runner) Process(ev *event.Event) {
	r.events.Add(1)
	if r.o.Record != nil {
		if err := r.o.Record.Write(ev); err != nil {
			r.o.Logger.Error("writing the trace file failed; recording stopped", "err", err)
			r.o.Record = nil
		}
	}
	p := r.o.State.Update(ev)
	if state.IsSnapshot(ev) {
		return // state a recording starts with, not an event
	}
	if e := r.pending.Load(); e != nil {
		r.engine = e
		r.pending.CompareAndSwap(e, nil)
	}
	r.sev.Set(ev, p)
	r.engine.Process(&r.sev, time.Unix(0, ev.TS))
}

// Stats are the loop's counters.
type Stats struct {
	Events uint64
	Alerts uint64
	// Drops are events the kernel lost (0 for recordings).
	Drops  uint64
	ByRule map[string]uint64
}

// Stats returns the counters. Safe for concurrent use.
func (r *Runner) Stats() Stats {
	s := Stats{Events: r.events.Load(), Alerts: r.alerts.Load(), ByRule: map[string]uint64{}}
	if dc, ok := r.o.Source.(DropCounter); ok {
		s.Drops, _ = dc.Drops()
	}
	r.mu.Lock()
	for k, n := range r.byRule {
		s.ByRule[k.rule] += n
	}
	r.mu.Unlock()
	return s
}

// Ready reports whether the event loop is running (/healthz).
func (r *Runner) Ready() bool { return r.ready.Load() }
