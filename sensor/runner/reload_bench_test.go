package runner

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/event"
)

// BenchmarkReloadStockRules reloads Falco's stock rules (plus one rule
// matching the load's events) while an event loop evaluates events as
// fast as it can. ns/op is a whole reload: reading, compiling, building
// the engine and handing it over. events_lost counts events the loop
// evaluated without an alert from the rule every version has (goal 0);
// max_event_us is the slowest single event during the reloads, i.e. how
// long the loop ever waited on a swap.
func BenchmarkReloadStockRules(b *testing.B) {
	stock := testutil.Upstream(b, "rules/falco_rules.yaml")
	const marker = "/tmp/saker-bench-marker"
	extra := writeFile(b, "marker.yaml", markerRule("Bench marker", marker))
	cfg := loadCfg(b, "rules_files=["+stock+","+extra+"]", "stdout_output.enabled=false", "webserver.enabled=false")
	var alerts atomic.Uint64
	s, err := Setup(SetupOptions{Config: cfg,
		OpenCapture: func(CaptureOptions) (EventSource, error) { return newChanSource(), nil },
		OnAlert: func(a *alert.Alert) {
			if a.Rule == "Bench marker" {
				alerts.Add(1)
			}
		}})
	if err != nil {
		b.Fatal(err)
	}
	ev := mk(b, event.TypeOpenat, 4242, 1, 3, "cat", map[string]any{"dirfd": int64(-100), "name": marker, "flags": int64(event.OpenRead)})
	var stop atomic.Bool
	var sent uint64
	var slowest time.Duration
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			t0 := time.Now()
			s.Runner.Process(ev)
			if d := time.Since(t0); d > slowest {
				slowest = d
			}
			sent++
		}
	}()
	// Let the loop reach full speed before the first reload.
	time.Sleep(50 * time.Millisecond)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := s.Reload(); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	stop.Store(true)
	wg.Wait()
	if s.Runner.Rules() < 20 {
		b.Fatalf("only %d rules after reload: not the stock rules", s.Runner.Rules())
	}
	b.ReportMetric(float64(sent-alerts.Load()), "events_lost")
	b.ReportMetric(float64(slowest.Microseconds()), "max_event_us")
	b.ReportMetric(float64(sent)/(elapsed+50*time.Millisecond).Seconds(), "events/s")
}
