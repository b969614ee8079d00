package outputs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sakersec/saker/sensor/alert"
)

// DefaultQueueSize bounds each sink's queue when Options.QueueSize is 0.
const DefaultQueueSize = 1024

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("outputs closed")

// Sink writes one alert to a destination. Write is called from a single
// goroutine per sink; ctx is cancelled when the sensor stops waiting for
// the queue to drain.
type Sink interface {
	Name() string
	Write(ctx context.Context, a *alert.Alert) error
	Close() error
}

// Format is how a sink renders an alert.
type Format struct {
	// JSON selects Falco's JSON object instead of the text line.
	JSON        bool
	JSONOptions alert.JSONOptions
	// ISO8601 is time_format_iso_8601 for text lines.
	ISO8601 bool
}

// Append renders a without a trailing newline.
func (f Format) Append(dst []byte, a *alert.Alert) []byte {
	if f.JSON {
		return a.AppendJSON(dst, f.JSONOptions)
	}
	return a.AppendText(dst, f.ISO8601)
}

// Options configure a Manager.
type Options struct {
	// QueueSize bounds each sink's queue (0: DefaultQueueSize).
	QueueSize int
	Logger    *slog.Logger
	// Start, when set, holds the sinks' writes until it is closed; alerts
	// queue meanwhile. A Manager that replaces another starts once the old
	// one has drained, so that a destination both write to (a file,
	// stdout) keeps the alerts in order and a sink shared by both is never
	// written from two goroutines.
	Start <-chan struct{}
}

// SinkStats are one sink's counters.
type SinkStats struct {
	Name    string
	Sent    uint64
	Dropped uint64
	Errors  uint64
}

// Manager fans alerts out to sinks. Send is safe for concurrent use.
type Manager struct {
	log    *slog.Logger
	queues []*queue
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.RWMutex
	closed bool
}

type queue struct {
	sink    Sink
	ch      chan *alert.Alert
	sent    atomic.Uint64
	dropped atomic.Uint64
	errs    atomic.Uint64
	// lastLog rate-limits drop and error logs (unix nanoseconds).
	lastLog atomic.Int64
}

// New starts one worker per sink.
func New(o Options, sinks ...Sink) *Manager {
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{log: o.Logger, ctx: ctx, cancel: cancel}
	for _, s := range sinks {
		q := &queue{sink: s, ch: make(chan *alert.Alert, o.QueueSize)}
		m.queues = append(m.queues, q)
		m.wg.Add(1)
		go m.run(q, o.Start)
	}
	return m
}

func (m *Manager) run(q *queue, start <-chan struct{}) {
	defer m.wg.Done()
	if start != nil {
		select {
		case <-start:
		case <-m.ctx.Done(): // Close gave up before the start
			for range q.ch {
				q.dropped.Add(1)
			}
			return
		}
	}
	for a := range q.ch {
		if err := q.sink.Write(m.ctx, a); err != nil {
			q.errs.Add(1)
			if q.shouldLog() {
				m.log.Warn("output failed", "output", q.sink.Name(), "rule", a.Rule, "err", err)
			}
			continue
		}
		q.sent.Add(1)
	}
}

func (q *queue) shouldLog() bool {
	now := time.Now().UnixNano()
	last := q.lastLog.Load()
	return now-last > int64(10*time.Second) && q.lastLog.CompareAndSwap(last, now)
}

// Send queues a for every sink and returns at once: a sink whose queue is
// full drops a and counts it.
func (m *Manager) Send(a *alert.Alert) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return ErrClosed
	}
	for _, q := range m.queues {
		select {
		case q.ch <- a:
		default:
			q.dropped.Add(1)
			if q.shouldLog() {
				m.log.Warn("output queue full, alert dropped", "output", q.sink.Name(), "dropped_total", q.dropped.Load())
			}
		}
	}
	return nil
}

// Stats returns every sink's counters.
func (m *Manager) Stats() []SinkStats {
	out := make([]SinkStats, len(m.queues))
	for i, q := range m.queues {
		out[i] = SinkStats{Name: q.sink.Name(), Sent: q.sent.Load(), Dropped: q.dropped.Load(), Errors: q.errs.Load()}
	}
	return out
}

// Close stops accepting alerts and waits until the queues drain or ctx
// ends; then in-flight writes are cancelled and the sinks closed.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	for _, q := range m.queues {
		close(q.ch)
	}
	m.mu.Unlock()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		m.cancel()
		<-done
	}
	m.cancel()
	for _, q := range m.queues {
		if cerr := q.sink.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	return err
}
