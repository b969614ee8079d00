package runner

import (
	"log/slog"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/sensor/config"
	"github.com/sakersec/saker/sensor/event"
	"github.com/sakersec/saker/sensor/rules"
	"github.com/sakersec/saker/sensor/state"
)

// BenchmarkProcess runs a realistic event mix (file opens and closes,
// connects, an exec now and then) through the state and the stock rules,
// without the kernel: the user-space cost per event.
func BenchmarkProcess(b *testing.B) {
	r := stockRunner(b)
	tu := event.Tuple{Family: event.FamilyInet, SrcAddr: netip.MustParseAddr("10.0.0.2"), SrcPort: 40000, DstAddr: netip.MustParseAddr("10.0.0.9"), DstPort: 5432}
	mix := []*event.Event{
		mk(b, event.TypeExecve, 700, 1, 0, "postgres", map[string]any{"exe": "postgres", "args": []string{"-D", "/var/lib/postgresql"}, "cwd": "/var/lib/postgresql", "trusted_exepath": "/usr/lib/postgresql/bin/postgres"}),
		mk(b, event.TypeOpenat, 700, 1, 5, "postgres", map[string]any{"dirfd": int64(-100), "name": "base/16384/2619", "flags": int64(event.OpenRead | event.OpenWrite)}),
		mk(b, event.TypeClose, 700, 1, 0, "postgres", map[string]any{"fd": int64(5)}),
		mk(b, event.TypeOpenat, 700, 1, 6, "postgres", map[string]any{"dirfd": int64(-100), "name": "/etc/hosts", "flags": int64(event.OpenRead)}),
		mk(b, event.TypeClose, 700, 1, 0, "postgres", map[string]any{"fd": int64(6)}),
		mk(b, event.TypeSocket, 700, 1, 7, "postgres", map[string]any{"domain": int64(2), "type": int64(1), "proto": int64(6)}),
		mk(b, event.TypeConnect, 700, 1, 0, "postgres", map[string]any{"tuple": tu, "fd": int64(7)}),
		mk(b, event.TypeClose, 700, 1, 0, "postgres", map[string]any{"fd": int64(7)}),
	}
	for _, ev := range mix {
		r.Process(ev)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		r.Process(mix[1+i%(len(mix)-1)])
	}
	reportRates(b, cpu0)
}

// stockRunner is a Runner with the stock rules and an offline state.
func stockRunner(b *testing.B) *Runner {
	b.Helper()
	cfg := config.Default()
	cfg.RulesFiles = []string{testutil.Upstream(b, "rules/falco_rules.yaml")}
	rs, _, _, err := LoadRules(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	r, err := New(Options{Rules: rs, State: state.New(state.Options{Offline: true}), Hostname: "bench", Engine: rules.EngineOptions{}})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// reportRates reports events/s (wall clock) and the CPU time the process
// used per event since cpu0, which other jobs on a shared machine inflate
// far less than the wall time: compare runs by cpu-ns/event.
func reportRates(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if cpu := cpuTime() - cpu0; cpu0 > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/event")
	}
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkProcessOpenClose is the end-to-end benchmark's workload
// (cmd/run BenchmarkEndToEnd) without the kernel: one process opening and
// closing /etc/hostname, through the state and the stock rules.
func BenchmarkProcessOpenClose(b *testing.B) {
	r := stockRunner(b)
	r.Process(mk(b, event.TypeExecve, 900, 1, 0, "run.test", map[string]any{"exe": "./run.test", "args": []string{"-test.run=^$"}, "cwd": "/work", "trusted_exepath": "/tmp/run.test"}))
	mix := []*event.Event{
		mk(b, event.TypeOpenat, 900, 1, 3, "run.test", map[string]any{"dirfd": int64(-100), "name": "/etc/hostname", "flags": int64(event.OpenRead | event.OpenCloexec)}),
		mk(b, event.TypeClose, 900, 1, 0, "run.test", map[string]any{"fd": int64(3)}),
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		r.Process(mix[i%len(mix)])
	}
	reportRates(b, cpu0)
}
