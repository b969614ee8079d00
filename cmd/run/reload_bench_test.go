package run

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sakersec/saker/internal/testutil"
)

// BenchmarkEndToEndReload is BenchmarkEndToEnd with the stock rules
// reloaded back to back while the events stream: it reports the kernel
// drops during the reloads (goal 0), the reloads done and their mean
// time.
func BenchmarkEndToEndReload(b *testing.B) {
	testutil.NeedBPF(b)
	rulesFile := testutil.Upstream(b, "rules/falco_rules.yaml")
	_, s := startSensorB(b, rulesFile, "engine.modern_ebpf.buf_size_preset=7")
	before := s.Runner.Stats()
	var stop atomic.Bool
	var reloads atomic.Int64
	var reloadTime atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			t0 := time.Now()
			if err := s.Reload(); err != nil {
				b.Error(err)
				return
			}
			reloadTime.Add(int64(time.Since(t0)))
			reloads.Add(1)
		}
	}()
	b.ResetTimer()
	start := time.Now()
	runLoop(b, b.N, "/etc/hostname", 0)
	want := before.Events + uint64(2*b.N)
	deadline := time.Now().Add(2 * time.Minute)
	for s.Runner.Stats().Events < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	el := time.Since(start)
	b.StopTimer()
	stop.Store(true)
	wg.Wait()
	after := s.Runner.Stats()
	if after.Events < want {
		b.Errorf("%d of %d events arrived", after.Events-before.Events, 2*b.N)
	}
	b.ReportMetric(float64(after.Events-before.Events)/el.Seconds(), "events/s")
	b.ReportMetric(float64(after.Drops-before.Drops), "drops")
	b.ReportMetric(float64(reloads.Load()), "reloads")
	if n := reloads.Load(); n > 0 {
		b.ReportMetric(float64(time.Duration(reloadTime.Load()/n).Milliseconds()), "ms/reload")
	}
}
