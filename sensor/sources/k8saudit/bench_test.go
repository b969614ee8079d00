package k8saudit

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/rules"
)

// upstreamEvents returns the upstream audit events, one JSON text each.
func upstreamEvents(b *testing.B) []string {
	b.Helper()
	dir := testutil.Upstream(b, "k8s_audit_events")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	sort.Strings(files)
	var out []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, strings.TrimSpace(string(raw)))
	}
	return out
}

// eventList wraps n events, cycling through evs, in an EventList body.
func eventList(evs []string, n int) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(evs[i%len(evs)])
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}

// BenchmarkWebhookThroughput posts batches of the upstream audit events
// over loopback HTTP to the webhook, which feeds one engine running the
// full k8s_audit_rules.yaml (rule_matching all). It reports events/s end
// to end: HTTP, decoding, queueing, every rule, alert formatting.
func BenchmarkWebhookThroughput(b *testing.B) {
	for _, batch := range []int{1, 100, 400} {
		b.Run("batch="+itoa(batch), func(b *testing.B) { benchWebhook(b, batch) })
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}

func benchWebhook(b *testing.B, batch int) {
	rs := loadAuditRules(b)
	body := eventList(upstreamEvents(b), batch)
	var alerts atomic.Int64
	eng, err := rs.NewEngine(rules.EngineOptions{Source: SourceName, RuleMatching: rules.MatchAll, OnAlert: func(*alert.Alert) { alerts.Add(1) }})
	if err != nil {
		b.Fatal(err)
	}
	s := NewServer(Options{Addr: "127.0.0.1:0", Block: true, QueueSize: 8192})
	if err := s.Listen(); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx) }()
	var processed atomic.Int64
	consumed := make(chan struct{})
	go func() {
		for e := range s.Events() {
			eng.Process(e, e.Time)
			processed.Add(1)
		}
		close(consumed)
	}()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	url := s.URL()

	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	start := time.Now()
	// Two concurrent posters, as an apiserver with parallel webhook calls.
	var wg sync.WaitGroup
	var next atomic.Int64
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				resp, err := client.Post(url, "application/json", bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	want := int64(b.N) * int64(batch)
	for processed.Load() < want {
		time.Sleep(100 * time.Microsecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(want)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(alerts.Load())/float64(want), "alerts/event")
	cancel()
	<-served
	<-consumed
	if st := s.Stats(); st.Dropped != 0 {
		b.Errorf("dropped %d events", st.Dropped)
	}
}

// BenchmarkDecodeAndMatch is the webhook path without HTTP: decode a batch
// of 400 events and run the full ruleset on each.
func BenchmarkDecodeAndMatch(b *testing.B) {
	rs := loadAuditRules(b)
	const batch = 400
	body := eventList(upstreamEvents(b), batch)
	eng, err := rs.NewEngine(rules.EngineOptions{Source: SourceName, RuleMatching: rules.MatchAll, OnAlert: func(*alert.Alert) {}})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Decode(body)
		if err != nil || len(res.Events) != batch {
			b.Fatal(err)
		}
		for _, e := range res.Events {
			eng.Process(e, e.Time)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDecode measures parsing alone, per batch of 400 events.
func BenchmarkDecode(b *testing.B) {
	const batch = 400
	body := eventList(upstreamEvents(b), batch)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkMatchNoAlert runs the full ruleset on an event no rule matches,
// the common case: it must not allocate.
func BenchmarkMatchNoAlert(b *testing.B) {
	rs := loadAuditRules(b)
	evs := upstreamEvents(b)
	var quiet *Event
	for _, s := range evs {
		if strings.Contains(s, `"4j7t7"`) || strings.Contains(s, "nginx-deployment-7998647bdf-4j7t7") {
			r, _ := Decode([]byte(s))
			quiet = r.Events[0]
		}
	}
	if quiet == nil {
		b.Skip("create_nginx_pod_nohostnetwork event not found")
	}
	eng, err := rs.NewEngine(rules.EngineOptions{Source: SourceName, RuleMatching: rules.MatchAll, OnAlert: func(*alert.Alert) { b.Fatal("unexpected alert") }})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		eng.Process(quiet, quiet.Time)
	}
}
