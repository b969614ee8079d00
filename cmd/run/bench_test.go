package run

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/runner"
)

const openLoopEnv = "SAKER_TEST_OPEN_LOOP"

var atFDCWD = func() int { v := unix.AT_FDCWD; return v }()

// openLoop opens and closes a file n times (two events per iteration),
// then exits: the load generator of the end-to-end benchmarks. An
// optional ",sleepµs" paces it.
func openLoop(spec string) {
	nStr, pace, _ := strings.Cut(spec, ",")
	n, _ := strconv.Atoi(nStr)
	sleep, _ := strconv.Atoi(pace)
	path := os.Getenv("SAKER_TEST_OPEN_PATH")
	if path == "" {
		path = "/etc/hostname"
	}
	// Raw syscalls on a path converted once: the generator's own cost
	// (allocation, the Go runtime's syscall bookkeeping) stays out of the
	// CPU that the sensor and the capture share with it.
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		os.Exit(2)
	}
	for i := 0; i < n; i++ {
		fd, _, errno := unix.RawSyscall6(unix.SYS_OPENAT, uintptr(atFDCWD), uintptr(unsafe.Pointer(p)), unix.O_RDONLY, 0, 0, 0)
		if errno == 0 {
			unix.RawSyscall(unix.SYS_CLOSE, fd, 0, 0)
		}
		if sleep > 0 {
			time.Sleep(time.Duration(sleep) * time.Microsecond)
		}
	}
	os.Exit(0)
}

func runLoop(b *testing.B, n int, path string, pace time.Duration) {
	b.Helper()
	self, _ := os.Executable()
	cmd := exec.Command(self, "-test.run=^$")
	spec := strconv.Itoa(n)
	if pace > 0 {
		spec += "," + strconv.Itoa(int(pace/time.Microsecond))
	}
	cmd.Env = append(os.Environ(), openLoopEnv+"="+spec, "SAKER_TEST_OPEN_PATH="+path)
	if err := cmd.Run(); err != nil {
		b.Error(err) // called from generator goroutines too
	}
}

// BenchmarkEndToEnd drives open/close pairs from a child process through
// the kernel capture, the state, the stock rules and the outputs; it
// reports events/s delivered and the drops (want 0).
func BenchmarkEndToEnd(b *testing.B) {
	testutil.NeedBPF(b)
	rulesFile := testutil.Upstream(b, "rules/falco_rules.yaml")
	col, s := startSensorB(b, rulesFile, "engine.modern_ebpf.buf_size_preset=7")
	_ = col
	before := s.Runner.Stats()
	// One generator per CPU: a single thread's open/close loop is slower
	// than the sensor (each pair costs it ~6 µs of syscalls), so one
	// generator would measure the generator.
	workers := runtime.NumCPU()
	per := max(b.N/workers, 1)
	b.ResetTimer()
	self0, children0 := rusage(unix.RUSAGE_SELF), rusage(unix.RUSAGE_CHILDREN)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runLoop(b, per, "/etc/hostname", 0)
		}()
	}
	wg.Wait()
	want := before.Events + uint64(2*per*workers)
	deadline := time.Now().Add(2 * time.Minute)
	for s.Runner.Stats().Events < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	el := time.Since(start)
	b.StopTimer()
	after := s.Runner.Stats()
	got := after.Events - before.Events
	b.ReportMetric(float64(got)/el.Seconds(), "events/s")
	b.ReportMetric(float64(after.Drops-before.Drops), "drops")
	// Where the two cores went: the sensor (this process, user+system)
	// and the generators (the children: their syscalls and the capture
	// hooks that run in them).
	self, children := rusage(unix.RUSAGE_SELF)-self0, rusage(unix.RUSAGE_CHILDREN)-children0
	b.ReportMetric(float64(self.Nanoseconds())/float64(got), "sensor-cpu-ns/event")
	b.ReportMetric(float64(children.Nanoseconds())/float64(got), "generator-cpu-ns/event")
	b.ReportMetric(0, "ns/op")
}

// rusage returns the user+system CPU time of who.
func rusage(who int) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSyscallToAlert measures the time from a syscall (its kernel
// timestamp) to the alert leaving the rules engine, for paced opens of a
// watched file; it reports p50 and p99.
func BenchmarkSyscallToAlert(b *testing.B) {
	testutil.NeedBPF(b)
	dir := b.TempDir()
	watched := filepath.Join(dir, "watched")
	os.WriteFile(watched, nil, 0o644)
	rules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rules, []byte(`- rule: watched file opened
  desc: latency probe
  condition: evt.type = openat and fd.name = `+watched+`
  output: opened %fd.name
  priority: NOTICE
`), 0o644)
	var mu sync.Mutex
	var lat []time.Duration
	onAlert := func(a *alert.Alert) {
		d := time.Since(a.Time)
		mu.Lock()
		lat = append(lat, d)
		mu.Unlock()
	}
	col, _ := startSensorB(b, rules, "", onAlert)
	_ = col
	b.ResetTimer()
	runLoop(b, b.N, watched, 500*time.Microsecond)
	deadline := time.Now().Add(time.Minute)
	for {
		mu.Lock()
		n := len(lat)
		mu.Unlock()
		if n >= b.N || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	if len(lat) == 0 {
		b.Fatal("no alerts")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(len(lat)), "alerts")
}

// BenchmarkIdleRSS builds sakerctl, runs `sakerctl run` with the stock
// rules as a user would (not inside this much larger test binary), lets it
// settle on the idle host and reports its resident memory: VmRSS, and its
// parts: the Go heap and stacks (anon) and file-backed pages (the binary's,
// the kernel BTF, and the ring buffer, which the kernel maps into the
// reader twice back to back and populates at mmap time: 2 × the buffer).
func BenchmarkIdleRSS(b *testing.B) {
	testutil.NeedBPF(b)
	rulesFile := testutil.Upstream(b, "rules/falco_rules.yaml")
	bin := filepath.Join(b.TempDir(), "sakerctl")
	build := exec.Command("go", "build", "-o", bin, "./cmd/sakerctl")
	build.Dir = testutil.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "run", "-r", rulesFile, "-o", "webserver.enabled=false")
	var stderr testutil.SyncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(stderr.String(), "sensor running") {
		if time.Now().After(deadline) {
			b.Fatalf("the sensor did not start:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// One settling period whatever b.N is: the metric is a level, not a rate.
	time.Sleep(5 * time.Second)
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(st), "\n") {
		for key, unit := range map[string]string{"VmRSS:": "RSS-MiB", "RssAnon:": "RSS-anon-MiB", "RssFile:": "RSS-file-MiB"} {
			if v, ok := strings.CutPrefix(l, key); ok {
				kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
				b.ReportMetric(float64(kb)/1024, unit)
			}
		}
	}
	b.ReportMetric(0, "ns/op")
}

// startSensorB is startSensor for benchmarks: an optional -o override and
// alert hook.
func startSensorB(b *testing.B, rulesFile, override string, hooks ...func(*alert.Alert)) (*alerts, *runner.Sensor) {
	var extra []string
	if override != "" {
		extra = append(extra, override)
	}
	return startSensorWith(b, rulesFile, extra, hooks...)
}
