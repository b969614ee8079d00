package run

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sakersec/saker/drivers"
	driverartifact "github.com/sakersec/saker/drivers/artifact"
	"github.com/sakersec/saker/sensor/capture"
	"github.com/sakersec/saker/sensor/event"
	"github.com/sakersec/saker/sensor/runner"
)

func init() { openCapture = openDriver }

// PollInterval is how often the reader looks for events the driver did
// not wake it for.
const PollInterval = 2 * time.Millisecond

// driverSource is the embedded eBPF driver and its ring-buffer reader.
type driverSource struct {
	d    *drivers.Driver
	r    *capture.Reader
	once sync.Once
	err  error
}

func (s *driverSource) Read(ev *event.Event) error { return s.r.ReadInto(ev) }

func (s *driverSource) Drops() (uint64, error) { return s.r.Drops() }

// SetTypes changes the in-kernel filter (a rules reload).
func (s *driverSource) SetTypes(ts []event.Type) error { return s.d.SetInterest(ts) }

// Close stops the reader, then detaches and unloads the driver. Safe to
// call more than once.
func (s *driverSource) Close() error {
	s.once.Do(func() {
		s.err = s.r.Close()
		s.d.Detach()
		if err := s.d.Close(); s.err == nil {
			s.err = err
		}
	})
	return s.err
}

// openDriver loads the eBPF object (the one installed in driverDir when it
// loads, else the embedded one; drivers/artifact logs which and why), sets
// the in-kernel filter to the event types the rules and the state need,
// and attaches it.
func openDriver(o runner.CaptureOptions, driverDir string, log *slog.Logger) (runner.EventSource, error) {
	d, _, err := driverartifact.LoadDriver(driverartifact.LoadDriverOptions{
		Dir: driverDir, Load: drivers.LoadOptions{RingBufferSize: o.BufferSize, Types: o.Types, Logger: log}, Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("loading the eBPF driver: %w", err)
	}
	// A short poll bounds syscall-to-alert latency when the kernel side is
	// quiet (it wakes the reader only for large batches).
	r, err := capture.NewReader(d, capture.Options{PollInterval: PollInterval})
	if err != nil {
		d.Close()
		return nil, err
	}
	if err := d.Attach(); err != nil {
		r.Close()
		d.Close()
		return nil, fmt.Errorf("attaching the eBPF driver: %w", err)
	}
	log.Info("capture started", "mode", d.Mode(), "ring_buffer_bytes", o.BufferSize, "event_types", len(o.Types))
	return &driverSource{d: d, r: r}, nil
}
