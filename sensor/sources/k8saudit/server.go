package k8saudit

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a [Server]. Zero fields take the values of
// [DefaultOptions].
type Options struct {
	// Addr is the listen address, ":9765" by default as Falco's k8saudit
	// plugin.
	Addr string
	// Path is the webhook path, "/k8s-audit" by default.
	Path string
	// TLSCertFile and TLSKeyFile switch the server to HTTPS.
	TLSCertFile, TLSKeyFile string
	// ClientCAFile, with TLS, requires client certificates signed by these
	// CAs (the apiserver's webhook kubeconfig can present one).
	ClientCAFile string
	// BearerToken, when set, must arrive as "Authorization: Bearer <token>".
	BearerToken string
	// MaxBodyBytes caps a request body; larger bodies get 413.
	MaxBodyBytes int64
	// MaxEventBytes, when positive, skips (and counts as invalid) events
	// whose JSON is longer, as the plugin's maxEventSize does. Zero keeps
	// every event that fits in the body.
	MaxEventBytes int64
	// QueueSize bounds the events waiting for the consumer.
	QueueSize int
	// Block makes a request wait for room in the queue (pushing back on
	// the apiserver) instead of dropping events when the queue is full.
	Block bool
	// Cluster is reported as ka.cluster.name for every event.
	Cluster string
	// Logger receives one line per rejected request; nil discards.
	Logger *slog.Logger
}

// DefaultOptions are the k8saudit plugin's defaults: port 9765, path
// /k8s-audit, 12 MiB request bodies.
var DefaultOptions = Options{
	Addr:         ":9765",
	Path:         "/k8s-audit",
	MaxBodyBytes: 12 << 20,
	QueueSize:    4096,
}

// Stats are the server's counters since it was created.
type Stats struct {
	Requests uint64 // requests accepted (2xx)
	Rejected uint64 // requests refused (4xx)
	// RejectedByStatus splits Rejected by HTTP status; every status of
	// [RejectStatuses] has an entry.
	RejectedByStatus map[int]uint64
	Events           uint64 // events queued for the consumer
	Invalid          uint64 // events skipped because they were unusable
	Dropped          uint64 // events dropped because the queue was full
}

// RejectStatuses are the statuses the webhook refuses requests with: 400
// (not JSON, or no usable event), 401 (bearer token), 404 (path), 405
// (method) and 413 (body larger than MaxBodyBytes).
var RejectStatuses = [...]int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound,
	http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge}

// Errors of [Server.Listen].
var (
	ErrTLSConfig = errors.New("k8s audit webhook TLS configuration")
	ErrClosed    = errors.New("k8s audit webhook closed")
)

// Server is the audit webhook: it accepts audit events posted by the
// kube-apiserver and delivers them on [Server.Events]. Its methods are
// safe for concurrent use.
type Server struct {
	o      Options
	log    *slog.Logger
	events chan *Event
	srv    *http.Server
	ln     net.Listener

	requests, rejected, queued, invalid, dropped atomic.Uint64
	rejectedBy                                   [len(RejectStatuses)]atomic.Uint64
	lastDropLog                                  atomic.Int64

	// mu guards closing events against in-flight sends.
	mu     sync.RWMutex
	closed bool
	stop   chan struct{}
}

// NewServer returns a server configured by o; call [Server.Listen] and
// [Server.Serve] (or [Server.Run]) to start it.
func NewServer(o Options) *Server {
	d := DefaultOptions
	if o.Addr == "" {
		o.Addr = d.Addr
	}
	if o.Path == "" {
		o.Path = d.Path
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = d.MaxBodyBytes
	}
	if o.QueueSize <= 0 {
		o.QueueSize = d.QueueSize
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{o: o, log: log.With("source", SourceName), events: make(chan *Event, o.QueueSize), stop: make(chan struct{})}
	// Every path reaches serveHTTP so that strays are logged too.
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: 10 * time.Second,
		// A client trickling a body must not hold a connection forever.
		ReadTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	return s
}

// Events delivers decoded events in arrival order. It is closed when the
// server stops.
func (s *Server) Events() <-chan *Event { return s.events }

// Handler returns the webhook handler, for mounting on another server.
func (s *Server) Handler() http.Handler { return s.srv.Handler }

// Stats returns the counters.
func (s *Server) Stats() Stats {
	st := Stats{Requests: s.requests.Load(), Rejected: s.rejected.Load(), Events: s.queued.Load(), Invalid: s.invalid.Load(),
		Dropped: s.dropped.Load(), RejectedByStatus: make(map[int]uint64, len(RejectStatuses))}
	for i, code := range RejectStatuses {
		st.RejectedByStatus[code] = s.rejectedBy[i].Load()
	}
	return st
}

// TLS reports whether the server serves HTTPS.
func (s *Server) TLS() bool { return s.o.TLSCertFile != "" }

// Listen binds the listen address (and loads TLS material). After it
// returns, [Server.Addr] is the bound address.
func (s *Server) Listen() error {
	if (s.o.TLSCertFile == "") != (s.o.TLSKeyFile == "") {
		return fmt.Errorf("%w: set both the certificate and the key file, or neither", ErrTLSConfig)
	}
	if s.o.ClientCAFile != "" && s.o.TLSCertFile == "" {
		return fmt.Errorf("%w: a client CA needs TLS (set the certificate and key files)", ErrTLSConfig)
	}
	var tcfg *tls.Config
	if s.o.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(s.o.TLSCertFile, s.o.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("%w: load %s and %s: %w", ErrTLSConfig, s.o.TLSCertFile, s.o.TLSKeyFile, err)
		}
		tcfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if s.o.ClientCAFile != "" {
			pem, err := os.ReadFile(s.o.ClientCAFile)
			if err != nil {
				return fmt.Errorf("%w: read client CA: %w", ErrTLSConfig, err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return fmt.Errorf("%w: %s holds no PEM certificate", ErrTLSConfig, s.o.ClientCAFile)
			}
			tcfg.ClientCAs, tcfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
		}
	}
	ln, err := net.Listen("tcp", s.o.Addr)
	if err != nil {
		return fmt.Errorf("k8s audit webhook: listen on %s: %w", s.o.Addr, err)
	}
	if tcfg != nil {
		ln = tls.NewListener(ln, tcfg)
	}
	s.ln = ln
	return nil
}

// Addr returns the bound address, nil before [Server.Listen].
func (s *Server) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// URL returns the webhook URL on the bound address, "" before Listen.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	scheme := "http"
	if s.TLS() {
		scheme = "https"
	}
	return scheme + "://" + s.ln.Addr().String() + s.o.Path
}

// Serve handles requests until ctx is done, then shuts down (waiting up to
// five seconds for requests in flight) and closes [Server.Events].
func (s *Server) Serve(ctx context.Context) error {
	if s.ln == nil {
		return fmt.Errorf("k8s audit webhook: Serve called before Listen")
	}
	s.log.Debug("k8s audit webhook listening", "url", s.URL())
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	var err error
	select {
	case <-ctx.Done():
		close(s.stop)
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = s.srv.Shutdown(sctx)
		cancel()
		<-errc
	case err = <-errc:
		close(s.stop)
	}
	s.mu.Lock()
	s.closed = true
	close(s.events)
	s.mu.Unlock()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Run is Listen followed by Serve.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	return s.Serve(ctx)
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request, code int, msg string) {
	s.rejected.Add(1)
	for i, c := range RejectStatuses {
		if c == code {
			s.rejectedBy[i].Add(1)
		}
	}
	s.log.Warn("k8s audit webhook: request rejected", "remote", r.RemoteAddr, "status", code, "reason", msg)
	http.Error(w, msg, code)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != s.o.Path {
		s.reject(w, r, http.StatusNotFound, "not found: the audit webhook is at "+s.o.Path)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.reject(w, r, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: POST audit events to "+s.o.Path)
		return
	}
	if s.o.BearerToken != "" && !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="saker k8s audit"`)
		s.reject(w, r, http.StatusUnauthorized, "unauthorized: send the configured bearer token")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.reject(w, r, http.StatusRequestEntityTooLarge, "request body larger than "+strconv.FormatInt(s.o.MaxBodyBytes, 10)+" bytes")
			return
		}
		s.reject(w, r, http.StatusBadRequest, "reading request body: "+err.Error())
		return
	}
	res, err := decodeOwned(body)
	if err != nil {
		s.reject(w, r, http.StatusBadRequest, err.Error())
		return
	}
	s.dropOversized(&res)
	if n := len(res.Invalid); n > 0 {
		s.invalid.Add(uint64(n))
		if len(res.Events) == 0 {
			s.reject(w, r, http.StatusBadRequest, res.Invalid[0].Error())
			return
		}
		s.log.Warn("k8s audit webhook: skipped invalid events", "remote", r.RemoteAddr, "skipped", n, "kept", len(res.Events), "first", res.Invalid[0].Error())
	}
	for _, e := range res.Events {
		e.Cluster = s.o.Cluster
		if !s.enqueue(r.Context(), e) {
			break
		}
	}
	s.requests.Add(1)
	w.WriteHeader(http.StatusOK)
}

func (s *Server) authorized(r *http.Request) bool {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) < len(prefix) || !equalFoldASCII(h[:len(prefix)], prefix) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(h[len(prefix):]), []byte(s.o.BearerToken)) == 1
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}

// enqueue hands e to the consumer. It reports false when the server is
// stopping or the request went away.
func (s *Server) enqueue(ctx context.Context, e *Event) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false
	}
	if s.o.Block {
		select {
		case s.events <- e:
			s.queued.Add(1)
			return true
		case <-ctx.Done():
		case <-s.stop:
		}
		s.dropped.Add(1)
		return false
	}
	select {
	case s.events <- e:
		s.queued.Add(1)
		return true
	default:
	}
	n := s.dropped.Add(1)
	// One log line per second at most: a full queue drops in bursts.
	now := time.Now().UnixNano()
	if last := s.lastDropLog.Load(); now-last > int64(time.Second) && s.lastDropLog.CompareAndSwap(last, now) {
		s.log.Warn("k8s audit webhook: queue full, dropping events", "dropped_total", n, "queue_size", s.o.QueueSize)
	}
	return true
}

// dropOversized moves events longer than MaxEventBytes to res.Invalid.
func (s *Server) dropOversized(res *Result) {
	if s.o.MaxEventBytes <= 0 {
		return
	}
	kept := res.Events[:0]
	for _, e := range res.Events {
		if n := len(e.root.Raw()); int64(n) > s.o.MaxEventBytes {
			res.Invalid = append(res.Invalid, fmt.Errorf("%w: event (auditID %q) is %d bytes, more than the %d allowed", ErrInvalidEvent, e.AuditID(), n, s.o.MaxEventBytes))
			continue
		}
		kept = append(kept, e)
	}
	res.Events = kept
}
