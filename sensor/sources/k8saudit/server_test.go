package k8saudit

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"maps"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sakersec/saker/internal/testutil"
)

// startServer runs a webhook on 127.0.0.1:0 until the test ends.
func startServer(t testing.TB, o Options) (*Server, *testutil.SyncBuffer) {
	t.Helper()
	logs := &testutil.SyncBuffer{}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	s := NewServer(o)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, logs
}

func post(t testing.TB, c *http.Client, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func receive(t testing.TB, s *Server, n int) []*Event {
	t.Helper()
	var out []*Event
	timeout := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case e := <-s.Events():
			out = append(out, e)
		case <-timeout:
			t.Fatalf("received %d events, want %d", len(out), n)
		}
	}
	return out
}

const evt = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"@ID@","stage":"ResponseComplete","stageTimestamp":"2026-11-23T10:00:00.5Z"}`

func ev(id string) string { return strings.Replace(evt, "@ID@", id, 1) }

func TestWebhookDelivers(t *testing.T) {
	s, _ := startServer(t, Options{Cluster: "prod"})
	c := http.DefaultClient
	code, _ := post(t, c, "POST", s.URL(), "", `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[`+ev("a")+`,`+ev("b")+`]}`)
	if code != 200 {
		t.Fatalf("EventList: status %d", code)
	}
	code, _ = post(t, c, "POST", s.URL(), "", `[`+ev("c")+`]`)
	if code != 200 {
		t.Fatalf("array: status %d", code)
	}
	got := receive(t, s, 3)
	for i, id := range []string{"a", "b", "c"} {
		if got[i].AuditID() != id {
			t.Errorf("event %d has auditID %q, want %q", i, got[i].AuditID(), id)
		}
		if got[i].Cluster != "prod" {
			t.Errorf("event %d cluster %q, want prod", i, got[i].Cluster)
		}
	}
	if want := time.Date(2026, 11, 23, 10, 0, 0, 5e8, time.UTC); !got[0].Time.Equal(want) {
		t.Errorf("time = %v, want the stageTimestamp %v", got[0].Time, want)
	}
	if st := s.Stats(); st.Requests != 2 || st.Events != 3 || st.Rejected != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestWebhookRejects(t *testing.T) {
	s, logs := startServer(t, Options{MaxBodyBytes: 1024, BearerToken: "s3cret"})
	c := http.DefaultClient
	byStatus := map[int]uint64{}
	for _, tc := range []struct {
		name, method, url, token, body string
		code                           int
		log                            string
	}{
		{"no token", "POST", s.URL(), "", ev("x"), 401, "unauthorized"},
		{"wrong token", "POST", s.URL(), "nope", ev("x"), 401, "unauthorized"},
		{"GET", "GET", s.URL(), "s3cret", "", 405, "method GET not allowed"},
		{"PUT", "PUT", s.URL(), "s3cret", ev("x"), 405, "method PUT not allowed"},
		{"other path", "POST", strings.TrimSuffix(s.URL(), "/k8s-audit") + "/other", "s3cret", ev("x"), 404, "not found"},
		{"truncated JSON", "POST", s.URL(), "s3cret", `{"kind":"Event",`, 400, "invalid JSON at line 1"},
		{"not JSON", "POST", s.URL(), "s3cret", `hello`, 400, "unexpected 'h'"},
		{"scalar", "POST", s.URL(), "s3cret", `42`, 400, "the body is a JSON number"},
		{"no stageTimestamp", "POST", s.URL(), "s3cret", `{"kind":"Event","auditID":"q"}`, 400, "has no stageTimestamp"},
		{"too big", "POST", s.URL(), "s3cret", `[` + strings.Repeat(ev("x")+",", 20) + ev("x") + `]`, 413, "larger than 1024 bytes"},
	} {
		code, body := post(t, c, tc.method, tc.url, tc.token, tc.body)
		byStatus[tc.code]++
		if code != tc.code {
			t.Errorf("%s: status %d (%s), want %d", tc.name, code, body, tc.code)
		}
		if !strings.Contains(logs.String(), tc.log) {
			t.Errorf("%s: no log line containing %q in:\n%s", tc.name, tc.log, logs.String())
		}
	}
	if code, body := post(t, c, "POST", s.URL(), "s3cret", ev("ok")); code != 200 {
		t.Fatalf("valid request: status %d %s", code, body)
	}
	if got := receive(t, s, 1); got[0].AuditID() != "ok" {
		t.Errorf("got %q", got[0].AuditID())
	}
	// A batch with one bad event keeps the good ones.
	if code, _ := post(t, c, "POST", s.URL(), "s3cret", `[{"auditID":"bad"},`+ev("good")+`]`); code != 200 {
		t.Errorf("mixed batch: status %d, want 200", code)
	}
	if got := receive(t, s, 1); got[0].AuditID() != "good" {
		t.Errorf("got %q", got[0].AuditID())
	}
	if st := s.Stats(); st.Rejected != 10 || st.Invalid != 2 {
		t.Errorf("stats = %+v, want 10 rejected requests and 2 invalid events", st)
	}
	if st := s.Stats(); !maps.Equal(st.RejectedByStatus, byStatus) {
		t.Errorf("rejected by status = %v, want %v", st.RejectedByStatus, byStatus)
	}
}

func TestWebhookDropsWhenFull(t *testing.T) {
	s, logs := startServer(t, Options{QueueSize: 2})
	if code, _ := post(t, http.DefaultClient, "POST", s.URL(), "", `[`+ev("1")+`,`+ev("2")+`,`+ev("3")+`,`+ev("4")+`]`); code != 200 {
		t.Fatalf("status %d", code)
	}
	if st := s.Stats(); st.Events != 2 || st.Dropped != 2 {
		t.Errorf("stats = %+v, want 2 queued and 2 dropped", st)
	}
	if !strings.Contains(logs.String(), "queue full") {
		t.Errorf("no drop log line:\n%s", logs.String())
	}
	if got := receive(t, s, 2); got[0].AuditID() != "1" || got[1].AuditID() != "2" {
		t.Errorf("kept %q %q, want the first two", got[0].AuditID(), got[1].AuditID())
	}
}

func TestWebhookBlocksWhenAsked(t *testing.T) {
	s, _ := startServer(t, Options{QueueSize: 1, Block: true})
	done := make(chan int, 1)
	go func() {
		code, _ := post(t, http.DefaultClient, "POST", s.URL(), "", `[`+ev("1")+`,`+ev("2")+`,`+ev("3")+`]`)
		done <- code
	}()
	got := receive(t, s, 3)
	if code := <-done; code != 200 {
		t.Fatalf("status %d", code)
	}
	if got[2].AuditID() != "3" || s.Stats().Dropped != 0 {
		t.Errorf("got %q, stats %+v", got[2].AuditID(), s.Stats())
	}
}

func TestWebhookClosesEvents(t *testing.T) {
	s := NewServer(Options{Addr: "127.0.0.1:0"})
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, ok := <-s.Events(); ok {
		t.Error("Events not closed after Serve returned")
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "saker-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestWebhookTLS(t *testing.T) {
	cert, key, pool := selfSigned(t)
	s, _ := startServer(t, Options{TLSCertFile: cert, TLSKeyFile: key})
	if !strings.HasPrefix(s.URL(), "https://") {
		t.Fatalf("URL %s is not https", s.URL())
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if code, body := post(t, c, "POST", s.URL(), "", ev("tls")); code != 200 {
		t.Fatalf("status %d %s", code, body)
	}
	if got := receive(t, s, 1); got[0].AuditID() != "tls" {
		t.Errorf("got %q", got[0].AuditID())
	}
	// Plain HTTP to the TLS port fails.
	if resp, err := http.Post(strings.Replace(s.URL(), "https", "http", 1), "application/json", strings.NewReader(ev("x"))); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP accepted on the TLS listener")
		}
	}
	if err := NewServer(Options{TLSCertFile: cert}).Listen(); err == nil {
		t.Error("Listen with a certificate and no key succeeded")
	}
}
