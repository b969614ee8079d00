package capture_test

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sakersec/saker/drivers"
	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/sensor/capture"
	"github.com/sakersec/saker/sensor/event"
)

// stockRuleTypes are the event types falco_rules.yaml's conditions name.
var stockRuleTypes = []event.Type{
	event.TypeOpen, event.TypeOpenat, event.TypeOpenat2, event.TypeConnect, event.TypeSendmsg, event.TypeSendto,
	event.TypeExecve, event.TypeExecveat, event.TypePtrace, event.TypeDup, event.TypeDup2, event.TypeDup3,
	event.TypeFinitModule, event.TypeInitModule, event.TypeLink, event.TypeLinkat, event.TypeSocket,
	event.TypeSymlink, event.TypeSymlinkat,
}

// stateTypes are what process and fd state add to the rules' set.
var stateTypes = []event.Type{
	event.TypeClose, event.TypeCreat, event.TypeClone, event.TypeClone3, event.TypeFork, event.TypeVfork,
	event.TypeProcExit, event.TypeAccept, event.TypeAccept4, event.TypeBind, event.TypeSocketpair,
	event.TypeFcntl, event.TypePipe, event.TypePipe2, event.TypeChdir, event.TypeFchdir, event.TypeSetuid,
	event.TypeSetgid, event.TypeSetresuid, event.TypeSetresgid, event.TypeChroot,
}

// benchCapture loads a driver that captures this process too, and drains
// its ring buffer in a goroutine, counting the events match accepts.
type benchCapture struct {
	drv     *drivers.Driver
	rd      *capture.Reader
	matched atomic.Uint64
	total   atomic.Uint64
	done    chan struct{}
}

func startBenchCapture(b *testing.B, types []event.Type, ringSize int, match func(*event.Event) bool) *benchCapture {
	b.Helper()
	testutil.NeedBPF(b)
	drv, err := drivers.Load(drivers.LoadOptions{IgnorePID: -1, Types: types, RingBufferSize: ringSize})
	if err != nil {
		b.Fatal(err)
	}
	rd, err := capture.NewReader(drv, capture.Options{})
	if err != nil {
		drv.Close()
		b.Fatal(err)
	}
	c := &benchCapture{drv: drv, rd: rd, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		var e event.Event
		for {
			if err := rd.ReadInto(&e); err != nil {
				if !errors.Is(err, capture.ErrClosed) {
					b.Error(err)
				}
				return
			}
			c.total.Add(1)
			if match(&e) {
				c.matched.Add(1)
			}
		}
	}()
	b.Cleanup(func() {
		drv.Detach()
		rd.Close()
		<-c.done
		drv.Close()
	})
	return c
}

var devNull = func() *byte { p, _ := unix.BytePtrFromString("/dev/null"); return p }()

func openClose(n int) {
	for i := 0; i < n; i++ {
		fd, _, e := unix.Syscall6(unix.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(devNull)), unix.O_RDONLY, 0, 0, 0)
		if e == 0 {
			unix.Syscall(unix.SYS_CLOSE, fd, 0, 0)
		}
	}
}

func threadCPU() time.Duration {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	return time.Duration(ts.Nano())
}

// BenchmarkOverhead runs a tight openat/close loop on one thread with the
// driver detached and attached, alternating, and reports attached/detached
// as "x-overhead". It measures the thread's CPU time (BPF programs run in
// the syscall's context), which keeps other load on the machine out of the
// ratio. Every captured event is read by a reader goroutine. It also
// reports the kernel's own accounting of each hook (ns per run).
func BenchmarkOverhead(b *testing.B) {
	for _, set := range []struct {
		name  string
		types []event.Type
	}{
		// hooks-only: attached, but nothing in the loop is captured (the floor).
		{"hooks-only", []event.Type{event.TypeSetns}},
		{"stock-rules", stockRuleTypes},
		{"rules+state", append(append([]event.Type{}, stockRuleTypes...), stateTypes...)},
	} {
		b.Run(set.name, func(b *testing.B) {
			c := startBenchCapture(b, set.types, 32<<20, func(*event.Event) bool { return false })
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			// Short alternating batches, many rounds: load on the machine
			// drifts, and both sides should see the same drift.
			const batch, rounds = 2000, 25
			var on, off time.Duration
			openClose(batch) // warm up
			for b.Loop() {
				for r := 0; r < rounds; r++ {
					t0 := threadCPU()
					openClose(batch)
					off += threadCPU() - t0
					if err := c.drv.Attach(); err != nil {
						b.Fatal(err)
					}
					t0 = threadCPU()
					openClose(batch)
					on += threadCPU() - t0
					c.drv.Detach()
				}
			}
			n := float64(b.N * batch * rounds)
			b.ReportMetric(float64(on)/float64(off), "x-overhead")
			b.ReportMetric(float64(off.Nanoseconds())/n, "cpu-ns/open+close-off")
			b.ReportMetric(float64(on.Nanoseconds())/n, "cpu-ns/open+close-on")
			b.ReportMetric(0, "ns/op")
			drops, _ := c.drv.Drops()
			b.ReportMetric(float64(drops), "drops")
			// The kernel's accounting costs a clock read per run, so it is
			// on only for one extra batch, outside the timed loops.
			if st, err := drivers.EnableStats(); err == nil {
				if err := c.drv.Attach(); err != nil {
					b.Fatal(err)
				}
				openClose(batch)
				c.drv.Detach()
				st.Close()
				if stats, err := c.drv.Stats(); err == nil {
					for _, s := range stats {
						if s.RunCount > 0 && (s.Tracepoint == "sys_enter" || s.Tracepoint == "sys_exit") {
							b.ReportMetric(float64(s.RunTime.Nanoseconds())/float64(s.RunCount), "ns/"+s.Tracepoint)
						}
					}
				}
			}
		})
	}
}

// BenchmarkThroughput generates events as fast as the syscalls go from one
// thread per CPU (the reader shares the CPUs with them) and reports how
// many per second reach the reader, with the drop count (the goal is zero
// drops). One thread cannot show the capture's capacity: on a VM a bare
// syscall costs about a microsecond, so one thread's syscalls are the
// limit, not the capture.
func BenchmarkThroughput(b *testing.B) {
	for _, load := range []struct {
		name string
		ty   event.Type
		call func()
	}{
		{"close", event.TypeClose, func() { unix.Syscall(unix.SYS_CLOSE, ^uintptr(0), 0, 0) }},
		{"openat-enoent", event.TypeOpenat, func() {
			unix.Syscall6(unix.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(missing)), unix.O_RDONLY, 0, 0, 0)
		}},
	} {
		b.Run(load.name, func(b *testing.B) {
			self := int64(unix.Getpid())
			c := startBenchCapture(b, []event.Type{load.ty}, 64<<20, func(e *event.Event) bool {
				return e.PID == self && e.Type == load.ty && e.Res < 0
			})
			if err := c.drv.Attach(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer() // loading the driver is not part of the rate
			workers := runtime.NumCPU()
			if w, err := strconv.Atoi(os.Getenv("SAKER_BENCH_WORKERS")); err == nil && w > 0 {
				workers = w
			}
			per := max(b.N/workers, 1)
			var cpu atomic.Int64
			want := uint64(per * workers)
			start := time.Now()
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					c0 := threadCPU()
					for i := 0; i < per; i++ {
						load.call()
					}
					cpu.Add(int64(threadCPU() - c0))
				}()
			}
			wg.Wait()
			// Wait for the reader to catch up (or give up once it stalls:
			// records were dropped).
			last, lastChange := c.matched.Load(), time.Now()
			for c.matched.Load() < want && time.Since(lastChange) < 500*time.Millisecond {
				time.Sleep(time.Millisecond)
				if m := c.matched.Load(); m != last {
					last, lastChange = m, time.Now()
				}
			}
			elapsed := time.Since(start)
			got := c.matched.Load()
			drops, _ := c.drv.Drops()
			b.ReportMetric(float64(got)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(drops), "drops")
			// The generators' CPU per event: the syscall and the capture
			// hooks that run in it (less disturbed by other load than
			// events/s).
			b.ReportMetric(float64(cpu.Load())/float64(per*workers), "generator-cpu-ns/event")
			b.ReportMetric(float64(want-min(got, want)), "missing")
		})
	}
}

var missing = func() *byte {
	p, _ := unix.BytePtrFromString("/nonexistent/saker-bench/some/longer/path/name")
	return p
}()

var atFDCWD = func() uintptr { v := unix.AT_FDCWD; return uintptr(v) }()

// BenchmarkReaderDrain measures the two sides apart: one thread fills the
// ring buffer with close records while nobody reads (produced/cpu-s: the
// records one core produces per second of its CPU time), then one Reader
// decodes them all (events/s: the rate one reader delivers).
func BenchmarkReaderDrain(b *testing.B) {
	testutil.NeedBPF(b)
	drv, err := drivers.Load(drivers.LoadOptions{IgnorePID: -1, Types: []event.Type{event.TypeClose}, RingBufferSize: 128 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer drv.Close()
	rd, err := capture.NewReader(drv, capture.Options{PollInterval: time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer rd.Close()
	self := int64(unix.Getpid())
	var e event.Event
	var elapsed, fill, bare time.Duration
	read, filled := 0, 0
	for b.Loop() {
		const n = 500000 // about 45 MB of records
		runtime.LockOSThread()
		c0 := threadCPU()
		for i := 0; i < n; i++ {
			unix.Syscall(unix.SYS_CLOSE, ^uintptr(0), 0, 0)
		}
		bare += threadCPU() - c0
		runtime.UnlockOSThread()
		if err := drv.Attach(); err != nil {
			b.Fatal(err)
		}
		runtime.LockOSThread()
		c0 = threadCPU()
		for i := 0; i < n; i++ {
			unix.Syscall(unix.SYS_CLOSE, ^uintptr(0), 0, 0)
		}
		fill += threadCPU() - c0
		filled += n
		runtime.UnlockOSThread()
		drv.Detach()
		mine := 0
		t0 := time.Now()
		for mine < n {
			if err := rd.ReadInto(&e); err != nil {
				b.Fatal(err)
			}
			read++
			if e.PID == self && e.Type == event.TypeClose {
				mine++
			}
		}
		elapsed += time.Since(t0)
	}
	drops, _ := drv.Drops()
	b.ReportMetric(float64(read)/elapsed.Seconds(), "events/s")
	// What one producing thread sustains per second of its own CPU time
	// (syscall + hooks + record): the kernel side's capacity per core.
	b.ReportMetric(float64(filled)/fill.Seconds(), "produced/cpu-s")
	b.ReportMetric(float64(filled)/bare.Seconds(), "bare-syscalls/cpu-s")
	b.ReportMetric(float64(drops), "drops")
	b.ReportMetric(0, "ns/op")
}
