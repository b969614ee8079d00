package outputs

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sakersec/saker/sensor/alert"
)

func sample(rule string) *alert.Alert {
	return &alert.Alert{
		Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Rule: rule, Priority: alert.PriorityWarning,
		Source: "syscall", Tags: []string{"filesystem"}, Hostname: "h",
		Output:       "Sensitive file opened (file=/etc/shadow)",
		OutputFields: []alert.Field{{Name: "fd.name", Value: "/etc/shadow"}, {Name: "proc.pid", Value: int64(7)}},
	}
}

var jsonFormat = Format{JSON: true, JSONOptions: alert.DefaultJSONOptions}

func closeOK(t *testing.T, m *Manager) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
}

func TestWriterTextAndJSON(t *testing.T) {
	var text, js bytes.Buffer
	m := New(Options{}, NewWriter("stdout", &text, Format{ISO8601: true}, false), NewWriter("json", &js, jsonFormat, true))
	m.Send(sample("R1"))
	m.Send(sample("R2"))
	closeOK(t, m)
	lines := strings.Split(strings.TrimSpace(text.String()), "\n")
	if len(lines) != 2 || lines[0] != "2026-01-02T03:04:05.000000006+0000: Warning Sensitive file opened (file=/etc/shadow)" {
		t.Errorf("text = %q", text.String())
	}
	dec := json.NewDecoder(&js)
	for _, want := range []string{"R1", "R2"} {
		var got map[string]any
		if err := dec.Decode(&got); err != nil {
			t.Fatal(err)
		}
		if got["rule"] != want || got["output_fields"].(map[string]any)["fd.name"] != "/etc/shadow" {
			t.Errorf("json = %v", got)
		}
	}
	if st := m.Stats(); st[0].Sent != 2 || st[0].Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
	if err := m.Send(sample("late")); err != ErrClosed {
		t.Errorf("send after close = %v", err)
	}
}

func TestFile(t *testing.T) {
	for _, keep := range []bool{false, true} {
		p := filepath.Join(t.TempDir(), "events.txt")
		m := New(Options{}, NewFile(p, jsonFormat, keep, false))
		for i := 0; i < 3; i++ {
			m.Send(sample("R"))
		}
		closeOK(t, m)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), "\n"); n != 3 {
			t.Errorf("keep_alive=%v: %d lines in %q", keep, n, b)
		}
	}
}

func TestProgram(t *testing.T) {
	for _, keep := range []bool{false, true} {
		p := filepath.Join(t.TempDir(), "out")
		m := New(Options{}, NewProgram("cat >> "+p, Format{}, keep))
		m.Send(sample("R"))
		m.Send(sample("R"))
		closeOK(t, m)
		b, _ := os.ReadFile(p)
		if strings.Count(string(b), "Warning Sensitive file opened") != 2 {
			t.Errorf("keep_alive=%v: program got %q", keep, b)
		}
	}
}

type received struct {
	mu     sync.Mutex
	bodies []string
	ctype  []string
	ua     []string
}

func (r *received) handler(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies = append(r.bodies, string(b))
	r.ctype = append(r.ctype, req.Header.Get("Content-Type"))
	r.ua = append(r.ua, req.Header.Get("User-Agent"))
	r.mu.Unlock()
}

func TestHTTPOneJSONObjectPerPost(t *testing.T) {
	var rec received
	srv := httptest.NewServer(http.HandlerFunc(rec.handler))
	defer srv.Close()
	h, err := NewHTTP(HTTPOptions{URL: srv.URL + "/alerts", Format: jsonFormat, UserAgent: "saker-test"})
	if err != nil {
		t.Fatal(err)
	}
	m := New(Options{}, h)
	m.Send(sample("A"))
	m.Send(sample("B"))
	closeOK(t, m)
	if len(rec.bodies) != 2 {
		t.Fatalf("got %d posts", len(rec.bodies))
	}
	for i, b := range rec.bodies {
		var a map[string]any
		if err := json.Unmarshal([]byte(b), &a); err != nil {
			t.Fatalf("post %d is not one JSON object: %q", i, b)
		}
		for _, k := range []string{"hostname", "output", "output_fields", "priority", "rule", "source", "tags", "time"} {
			if _, ok := a[k]; !ok {
				t.Errorf("post %d lacks %s", i, k)
			}
		}
		if rec.ctype[i] != "application/json" || rec.ua[i] != "saker-test" {
			t.Errorf("headers: %s %s", rec.ctype[i], rec.ua[i])
		}
	}
}

func TestHTTPSWithCACert(t *testing.T) {
	var rec received
	srv := httptest.NewTLSServer(http.HandlerFunc(rec.handler))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)

	// Without the CA the server is not trusted.
	h, _ := NewHTTP(HTTPOptions{URL: srv.URL, Format: jsonFormat})
	if err := h.Write(context.Background(), sample("A")); err == nil {
		t.Error("untrusted server accepted")
	}
	h, err := NewHTTP(HTTPOptions{URL: srv.URL, Format: jsonFormat, CACert: ca})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Write(context.Background(), sample("A")); err != nil {
		t.Errorf("with ca_cert: %v", err)
	}
	if h, err = NewHTTP(HTTPOptions{URL: srv.URL, Format: jsonFormat, Insecure: true}); err != nil {
		t.Fatal(err)
	}
	if err := h.Write(context.Background(), sample("A")); err != nil {
		t.Errorf("insecure: %v", err)
	}
	if _, err := NewHTTP(HTTPOptions{URL: srv.URL, CACert: "/nonexistent.pem"}); err == nil || !strings.Contains(err.Error(), "/nonexistent.pem") {
		t.Errorf("missing CA error = %v", err)
	}
	if _, err := NewHTTP(HTTPOptions{URL: srv.URL, MTLS: true, ClientCert: "/nope.crt", ClientKey: "/nope.key"}); err == nil {
		t.Error("missing client cert accepted")
	}
}

// A receiver that never answers must not block Send: the queue fills and
// further alerts are dropped and counted.
func TestSlowReceiverDropsInsteadOfBlocking(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	h, _ := NewHTTP(HTTPOptions{URL: srv.URL, Format: jsonFormat, Timeout: time.Minute})
	var fast bytes.Buffer
	m := New(Options{QueueSize: 4}, h, NewWriter("stdout", &fast, Format{}, false))
	const n = 1000
	done := make(chan struct{})
	go func() {
		for i := 0; i < n; i++ {
			m.Send(sample("R"))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Send blocked on a stuck receiver")
	}
	st := m.Stats()
	// At most one in flight plus a full queue got through to the HTTP sink.
	if st[0].Dropped < n-5 {
		t.Errorf("http dropped %d of %d", st[0].Dropped, n)
	}
	// The stuck sink does not hold back the others (the stdout sink may
	// still drop a few when its own small queue is momentarily full).
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := m.Close(ctx); err == nil {
		t.Error("close with a stuck receiver should report the deadline")
	}
	st = m.Stats()
	if got := st[1].Sent + st[1].Dropped; got != n {
		t.Errorf("stdout sent+dropped = %d, want %d", got, n)
	}
}

func TestDeadReceiverCountsErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	h, _ := NewHTTP(HTTPOptions{URL: url, Format: jsonFormat})
	m := New(Options{}, h)
	m.Send(sample("R"))
	m.Send(sample("R"))
	closeOK(t, m)
	if st := m.Stats()[0]; st.Errors != 2 || st.Sent != 0 {
		t.Errorf("stats %+v", st)
	}
}

// A Manager with a Start gate queues alerts and writes none until the gate
// opens, then writes them in order; one closed before its start counts its
// queue as dropped.
func TestStartGate(t *testing.T) {
	var mu sync.Mutex
	var got []string
	sink := Func{N: "rec", F: func(a *alert.Alert) error {
		mu.Lock()
		got = append(got, a.Rule)
		mu.Unlock()
		return nil
	}}
	start := make(chan struct{})
	m := New(Options{Start: start}, sink)
	for _, r := range []string{"a", "b", "c"} {
		if err := m.Send(sample(r)); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	early := len(got)
	mu.Unlock()
	if early != 0 {
		t.Fatalf("%d alerts written before the start", early)
	}
	close(start)
	closeOK(t, m)
	if strings.Join(got, ",") != "a,b,c" || m.Stats()[0].Sent != 3 {
		t.Errorf("written %v, stats %+v", got, m.Stats())
	}

	never := New(Options{Start: make(chan struct{})}, sink)
	never.Send(sample("x"))
	never.Send(sample("y"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := never.Close(ctx); err == nil {
		t.Error("Close of a manager that never started reported no error")
	}
	if st := never.Stats()[0]; st.Dropped != 2 || st.Sent != 0 {
		t.Errorf("never started: stats %+v, want 2 dropped", st)
	}
}
