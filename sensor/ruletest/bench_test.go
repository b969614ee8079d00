package ruletest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sakersec/saker/internal/testutil"
)

// BenchmarkRunContainerTest replays the container recording (438 events)
// through the embedded rules, rules loading included: the cost of one
// test in `sakerctl rules test`.
func BenchmarkRunContainerTest(b *testing.B) {
	p := filepath.Join(testutil.RepoRoot(), "testdata", "ruletests", "process.yaml")
	f, err := Load(p)
	if err != nil {
		b.Fatal(err)
	}
	t := &f.Tests[2]
	b.ReportAllocs()
	var events uint64
	for b.Loop() {
		r := f.Run(context.Background(), t, Options{Hostname: "bench"})
		if !r.Pass {
			b.Fatal(r.Failures)
		}
		events += r.Events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
