package faultproxy

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Kind is what a [Fault] does to a response.
type Kind int

// Fault kinds.
const (
	// Status answers with Fault.Status (and Retry-After, if set) without
	// asking the registry.
	Status Kind = iota + 1
	// Reset sends the headers and Fault.After bytes of the body, then
	// resets the connection (TCP RST).
	Reset
	// Truncate sends the headers, announcing the full length, and
	// Fault.After bytes of the body, then closes the connection.
	Truncate
	// Corrupt flips one byte of the body, keeping its length, so that it
	// no longer matches its digest.
	Corrupt
	// Delay waits Fault.Delay before serving the request normally.
	Delay
)

func (k Kind) String() string {
	switch k {
	case Status:
		return "status"
	case Reset:
		return "reset"
	case Truncate:
		return "truncate"
	case Corrupt:
		return "corrupt"
	case Delay:
		return "delay"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Fault describes one injected fault.
type Fault struct {
	Kind Kind
	// Status is the HTTP status of a Status fault.
	Status int
	// RetryAfter is the Retry-After header of a Status fault ("" sends
	// none).
	RetryAfter string
	// After is how many body bytes Reset and Truncate send first;
	// negative or zero means half the body.
	After int
	// Delay is how long a Delay fault waits.
	Delay time.Duration
}

// Match selects requests. Zero fields match anything.
type Match struct {
	Method string
	Path   *regexp.Regexp
}

// Matches reports whether m selects r.
func (m Match) Matches(r *http.Request) bool {
	if m.Method != "" && r.Method != m.Method {
		return false
	}
	return m.Path == nil || m.Path.MatchString(r.URL.Path)
}

// Common matches.
var (
	// Any matches every request.
	Any = Match{}
	// BlobGets matches blob downloads (layers and configs).
	BlobGets = Match{Method: http.MethodGet, Path: regexp.MustCompile(`/blobs/[a-z0-9]+:[a-f0-9]+$`)}
	// ManifestGets matches manifest downloads by tag or digest.
	ManifestGets = Match{Method: http.MethodGet, Path: regexp.MustCompile(`/manifests/[^/]+$`)}
)

// BlobGet matches the download of one blob.
func BlobGet(digest string) Match {
	return Match{Method: http.MethodGet, Path: regexp.MustCompile(`/blobs/` + regexp.QuoteMeta(digest) + `$`)}
}

// Rule applies a fault to the requests it matches.
type Rule struct {
	Match Match
	Fault Fault
	// Times limits the rule to the first Times requests it matches; zero
	// means every one.
	Times int
}

// Request is one request the proxy saw.
type Request struct {
	Method string
	Path   string
	At     time.Time
	// Fault is the kind injected, zero when the request went through
	// untouched.
	Fault Kind
}

// Proxy is an http.Handler that applies its rules in front of a registry.
// It is safe for concurrent use by multiple goroutines.
type Proxy struct {
	next http.Handler

	mu    sync.Mutex
	rules []*rule
	seen  []Request
}

type rule struct {
	Rule
	hits int
}

// Wrap returns a Proxy in front of next, e.g. as testregistry's Wrap.
func Wrap(next http.Handler, rules ...Rule) *Proxy {
	p := &Proxy{next: next}
	p.SetRules(rules...)
	return p
}

// New returns a Proxy that forwards to the registry at target
// ("http://127.0.0.1:5000").
func New(target string, rules ...Rule) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("faultproxy: target %q: want http://HOST:PORT", target)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	return Wrap(rp, rules...), nil
}

// Start serves a Proxy to target on a loopback port for the duration of t
// and returns it with its "127.0.0.1:PORT" address.
func Start(t testing.TB, target string, rules ...Rule) (*Proxy, string) {
	t.Helper()
	p, err := New(target, rules...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return p, u.Host
}

// SetRules replaces the rules and their hit counts. The first rule that
// matches a request (and has hits left) applies.
func (p *Proxy) SetRules(rules ...Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = p.rules[:0]
	for _, r := range rules {
		p.rules = append(p.rules, &rule{Rule: r})
	}
}

// Requests returns the requests seen so far, in arrival order.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.seen...)
}

// Count returns how many requests seen so far m matches.
func (p *Proxy) Count(m Match) int {
	n := 0
	for _, r := range p.Requests() {
		req := &http.Request{Method: r.Method, URL: &url.URL{Path: r.Path}}
		if m.Matches(req) {
			n++
		}
	}
	return n
}

// Faults returns how many faults were injected so far.
func (p *Proxy) Faults() int {
	n := 0
	for _, r := range p.Requests() {
		if r.Fault != 0 {
			n++
		}
	}
	return n
}

func (p *Proxy) pick(r *http.Request) (Fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var f Fault
	ok := false
	for _, ru := range p.rules {
		if !ru.Match.Matches(r) || (ru.Times > 0 && ru.hits >= ru.Times) {
			continue
		}
		ru.hits++
		f, ok = ru.Fault, true
		break
	}
	req := Request{Method: r.Method, Path: r.URL.Path, At: time.Now()}
	if ok {
		req.Fault = f.Kind
	}
	p.seen = append(p.seen, req)
	return f, ok
}

// ServeHTTP serves r through the registry, applying the first matching
// rule.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := p.pick(r)
	if !ok {
		p.next.ServeHTTP(w, r)
		return
	}
	switch f.Kind {
	case Status:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		fmt.Fprintf(w, `{"errors":[{"code":"UNKNOWN","message":"faultproxy: injected HTTP %d"}]}`, f.Status)
		return
	case Delay:
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
		p.next.ServeHTTP(w, r)
		return
	}

	// Body faults: get the whole response first, then send it damaged.
	rec := httptest.NewRecorder()
	p.next.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	if rec.Code != http.StatusOK || len(body) == 0 {
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
		return
	}
	switch f.Kind {
	case Corrupt:
		body = bytes.Clone(body)
		body[len(body)/2] ^= 0xff
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	case Reset, Truncate:
		n := f.After
		if n <= 0 || n >= len(body) {
			n = len(body) / 2
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body[:n])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		hj, ok := w.(http.Hijacker)
		if !ok {
			// HTTP/2 cannot be hijacked: aborting the handler resets
			// the stream instead.
			panic(http.ErrAbortHandler)
		}
		conn, buf, err := hj.Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		_ = buf.Flush()
		if tc, ok := conn.(*net.TCPConn); ok && f.Kind == Reset {
			_ = tc.SetLinger(0)
		}
		_ = conn.Close()
	default:
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	}
}
