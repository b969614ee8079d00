package capture

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/sakersec/saker/sensor/event"
)

// ErrClosed is returned by [Reader.ReadInto] after [Reader.Close].
var ErrClosed = os.ErrClosed

// Source is what a Reader reads from: the loaded driver
// (*drivers.Driver satisfies it).
type Source interface {
	Events() *ebpf.Map
	Drops() (uint64, error)
}

// Options configure [NewReader].
type Options struct {
	// PollInterval bounds how long a record can wait in the ring buffer
	// when the driver has not woken the reader (the driver wakes it only
	// past its wake-up threshold). 0 means DefaultPollInterval.
	PollInterval time.Duration
}

// DefaultPollInterval is the default [Options.PollInterval].
const DefaultPollInterval = 10 * time.Millisecond

// Reader reads and decodes the driver's records. ReadInto must be called
// from one goroutine at a time; Close, Drops and Stats may be called from
// any goroutine.
type Reader struct {
	src        Source
	rd         *ringbuf.Reader
	rec        ringbuf.Record
	poll       time.Duration
	bootOffset int64
	num        uint64
	records    atomic.Uint64
	malformed  atomic.Uint64
	lastErr    atomic.Value // error: the last malformed record's decode error
}

// NewReader opens a reader on src's ring buffer.
func NewReader(src Source, opts Options) (*Reader, error) {
	rd, err := ringbuf.NewReader(src.Events())
	if err != nil {
		return nil, fmt.Errorf("open the driver's ring buffer: %w", err)
	}
	poll := opts.PollInterval
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	r := &Reader{src: src, rd: rd, poll: poll, bootOffset: BootOffset()}
	rd.SetDeadline(time.Now().Add(poll))
	return r, nil
}

// BootOffset returns the wall clock minus the boot clock (CLOCK_BOOTTIME)
// in nanoseconds: adding it to a kernel boot-clock timestamp gives Unix
// time. The boot clock is read between two wall-clock reads and compared
// with their midpoint; of a few tries the one with the closest reads wins,
// so a preemption between the reads cannot shift every event's time.
func BootOffset() int64 {
	best, bestGap := int64(0), int64(-1)
	for range 5 {
		var ts unix.Timespec
		w0 := time.Now().UnixNano()
		if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
			return 0
		}
		w1 := time.Now().UnixNano()
		if gap := w1 - w0; bestGap < 0 || gap < bestGap {
			best, bestGap = w0+gap/2-ts.Nano(), gap
		}
	}
	return best
}

// ReadInto blocks until the next record and decodes it into e, which keeps
// pointing into the reader's buffer until the next ReadInto. Malformed
// records are skipped and counted (see [Reader.Stats]). It returns
// [ErrClosed] once Close has been called.
func (r *Reader) ReadInto(e *event.Event) error {
	for {
		err := r.rd.ReadInto(&r.rec)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				// Nothing left: poll again later, and follow clock
				// adjustments while idle.
				r.bootOffset = BootOffset()
				r.rd.SetDeadline(time.Now().Add(r.poll))
				continue
			}
			if errors.Is(err, os.ErrClosed) {
				return ErrClosed
			}
			return fmt.Errorf("read the ring buffer: %w", err)
		}
		if err := Decode(r.rec.RawSample, r.bootOffset, e); err != nil {
			r.malformed.Add(1)
			r.lastErr.Store(err)
			continue
		}
		r.num++
		e.Num = r.num
		r.records.Add(1)
		return nil
	}
}

// Drops returns the records the kernel could not write because the ring
// buffer was full.
func (r *Reader) Drops() (uint64, error) { return r.src.Drops() }

// Stats counts what the reader has seen.
type Stats struct {
	Records   uint64 // decoded and returned
	Malformed uint64 // skipped
	LastError error  // why the last malformed record was skipped
}

// Stats returns the reader's counters.
func (r *Reader) Stats() Stats {
	s := Stats{Records: r.records.Load(), Malformed: r.malformed.Load()}
	if err, ok := r.lastErr.Load().(error); ok {
		s.LastError = err
	}
	return s
}

// Close stops the reader and interrupts a blocked ReadInto.
func (r *Reader) Close() error { return r.rd.Close() }
