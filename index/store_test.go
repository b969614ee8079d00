package index

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sakersec/saker/internal/config"
	"github.com/sakersec/saker/internal/testutil"
)

func indexYAML(names ...string) string {
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "- name: %s\n  type: rulesfile\n  registry: registry.test:5000\n  repository: rules/%s\n  keywords: [%s]\n", n, n, n)
	}
	return b.String()
}

func writeIndex(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "index.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type env struct {
	stateDir string
	logs     *testutil.SyncBuffer
	now      time.Time
}

func newEnv(t *testing.T) *env {
	return &env{stateDir: t.TempDir(), logs: &testutil.SyncBuffer{}, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (e *env) open(t *testing.T, indexes []config.IndexConfig, h HTTPOptions) *Store {
	t.Helper()
	s, err := OpenStore(StoreOptions{
		StateDir: e.stateDir, Indexes: indexes, HTTP: h,
		Logger: slog.New(slog.NewTextHandler(e.logs, nil)),
		Now:    func() time.Time { return e.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// etagServer serves an index with an ETag and counts full and 304 answers.
type etagServer struct {
	*httptest.Server
	mu      sync.Mutex
	body    string
	etag    string
	full    atomic.Int32
	notMod  atomic.Int32
	lastINM atomic.Value
}

func newETagServer(t *testing.T, body string) *etagServer {
	s := &etagServer{body: body, etag: `"v1"`}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		body, etag := s.body, s.etag
		s.mu.Unlock()
		s.lastINM.Store(r.Header.Get("If-None-Match"))
		if r.Header.Get("If-None-Match") == etag {
			s.notMod.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		s.full.Add(1)
		w.Header().Set("ETag", etag)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *etagServer) set(body, etag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.etag = body, etag
}

// downURL returns the URL of a server that no longer listens.
func downURL(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL + "/index.yaml"
	srv.Close()
	return u
}

func TestStoreAddFileAndLookup(t *testing.T) {
	e := newEnv(t)
	s := e.open(t, nil, HTTPOptions{})
	p := writeIndex(t, indexYAML("alpha", "beta"))
	res, err := s.Add(context.Background(), "local", "file://"+p, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Info.Backend != BackendFile || res.Info.Entries != 2 || res.Info.Origin != OriginAdded || res.PreviousURL != "" {
		t.Fatalf("add result %+v", res)
	}
	// A new store (another sakerctl run) sees it from the state store.
	s2 := e.open(t, nil, HTTPOptions{})
	got, err := s2.Lookup(context.Background(), "beta")
	if err != nil {
		t.Fatal(err)
	}
	if got.Index != "local" || got.Ref() != "registry.test:5000/rules/beta" {
		t.Fatalf("lookup %+v", got)
	}
	_, err = s2.Lookup(context.Background(), "gamma")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"gamma"`) || !strings.Contains(err.Error(), "searched local") {
		t.Fatalf("missing artifact: %v", err)
	}
	for _, f := range []string{StateFileName, filepath.Join(CacheDirName, "added", "local.yaml")} {
		if _, err := os.Stat(filepath.Join(e.stateDir, f)); err != nil {
			t.Errorf("expected %s: %v", f, err)
		}
	}
	// Relative file paths are stored absolute.
	dir := filepath.Dir(p)
	t.Chdir(dir)
	res, err = s.Add(context.Background(), "rel", "index.yaml", "file")
	if err != nil || res.Info.URL != "file://"+p {
		t.Fatalf("relative add: %+v %v", res.Info, err)
	}
}

func TestStoreConfigIndexFetchedOnDemandAndCached(t *testing.T) {
	srv := newETagServer(t, indexYAML("alpha"))
	e := newEnv(t)
	cfg := []config.IndexConfig{{Name: "remote", URL: srv.URL + "/index.yaml"}}
	s := e.open(t, cfg, HTTPOptions{})
	if n := srv.full.Load(); n != 0 {
		t.Fatalf("OpenStore fetched %d times", n)
	}
	if info := s.List()[0]; info.Fetched() || info.Origin != OriginConfig || info.Backend != BackendHTTP {
		t.Fatalf("before fetch: %+v", info)
	}
	if _, err := s.Lookup(context.Background(), "alpha"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(context.Background(), "alpha"); err != nil {
		t.Fatal(err)
	}
	if n := srv.full.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
	// The next run uses the cached copy without touching the network.
	s2 := e.open(t, cfg, HTTPOptions{})
	entries, err := s2.Entries(context.Background())
	if err != nil || len(entries) != 1 || entries[0].Index != "remote" {
		t.Fatalf("entries %+v %v", entries, err)
	}
	if n := srv.full.Load(); n != 1 {
		t.Fatalf("cached run fetched again (%d)", n)
	}
	info := s2.List()[0]
	if !info.Fetched() || info.Entries != 1 || info.ETag != `"v1"` {
		t.Fatalf("after fetch: %+v", info)
	}
	// Changing the URL in the configuration invalidates the cache.
	srv2 := newETagServer(t, indexYAML("other"))
	s3 := e.open(t, []config.IndexConfig{{Name: "remote", URL: srv2.URL + "/index.yaml"}}, HTTPOptions{})
	if _, err := s3.Lookup(context.Background(), "other"); err != nil {
		t.Fatalf("cache of the old URL was used: %v", err)
	}
}

func TestStoreUpdateUsesETag(t *testing.T) {
	srv := newETagServer(t, indexYAML("alpha"))
	e := newEnv(t)
	s := e.open(t, nil, HTTPOptions{})
	if _, err := s.Add(context.Background(), "remote", srv.URL+"/index.yaml", ""); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(time.Hour)
	res, err := s.Update(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || !res[0].NotModified || res[0].Entries != 1 {
		t.Fatalf("update %+v", res)
	}
	if srv.full.Load() != 1 || srv.notMod.Load() != 1 || srv.lastINM.Load() != `"v1"` {
		t.Fatalf("full %d, 304 %d, If-None-Match %v", srv.full.Load(), srv.notMod.Load(), srv.lastINM.Load())
	}
	if u := s.List()[0].UpdatedAt; u == nil || !u.Equal(e.now) {
		t.Fatalf("updatedAt %v, want %v", u, e.now)
	}
	// A changed index is downloaded and replaces the cache.
	srv.set(indexYAML("alpha", "beta"), `"v2"`)
	res, err = s.Update(context.Background(), "remote")
	if err != nil || res[0].NotModified || res[0].Entries != 2 {
		t.Fatalf("update after change %+v %v", res, err)
	}
	s2 := e.open(t, nil, HTTPOptions{})
	if _, err := s2.Lookup(context.Background(), "beta"); err != nil {
		t.Fatal(err)
	}
	if info := s2.List()[0]; info.ETag != `"v2"` || info.Entries != 2 {
		t.Fatalf("state %+v", info)
	}
}

func TestStoreUnreachableIndexes(t *testing.T) {
	e := newEnv(t)
	good := writeIndex(t, indexYAML("alpha"))
	cfg := []config.IndexConfig{
		{Name: "down", URL: downURL(t)},
		{Name: "good", URL: "file://" + good},
	}
	s := e.open(t, cfg, HTTPOptions{})
	got, err := s.Lookup(context.Background(), "alpha")
	if err != nil || got.Index != "good" {
		t.Fatalf("lookup past an unreachable index: %+v %v", got, err)
	}
	if !strings.Contains(e.logs.String(), "index unavailable") || !strings.Contains(e.logs.String(), "index=down") {
		t.Fatalf("no warning: %s", e.logs)
	}
	// Everything unreachable: not found, saying why, and warned once.
	e2 := newEnv(t)
	s2 := e2.open(t, []config.IndexConfig{{Name: "down", URL: downURL(t)}}, HTTPOptions{})
	_, err = s2.Lookup(context.Background(), "alpha")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "no index could be read") {
		t.Fatalf("all down: %v", err)
	}
	entries, err := s2.Entries(context.Background())
	if err != nil || len(entries) != 0 {
		t.Fatalf("entries %v %v", entries, err)
	}
	if n := strings.Count(e2.logs.String(), "index unavailable"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, e2.logs)
	}
	// No index at all.
	_, err = newEnv(t).open(t, nil, HTTPOptions{}).Lookup(context.Background(), "x")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "index add") {
		t.Fatalf("no index: %v", err)
	}
}

func TestStoreUpdateFailureKeepsCache(t *testing.T) {
	srv := newETagServer(t, indexYAML("alpha"))
	e := newEnv(t)
	s := e.open(t, nil, HTTPOptions{})
	if _, err := s.Add(context.Background(), "remote", srv.URL+"/index.yaml", ""); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	_, err := s.Update(context.Background())
	if !errors.Is(err, ErrFetch) || !strings.Contains(err.Error(), "index remote") {
		t.Fatalf("update of a down index: %v", err)
	}
	if !strings.Contains(e.logs.String(), "keeping the cached copy") {
		t.Fatalf("no warning: %s", e.logs)
	}
	s2 := e.open(t, nil, HTTPOptions{})
	if _, err := s2.Lookup(context.Background(), "alpha"); err != nil {
		t.Fatalf("cache lost after a failed update: %v", err)
	}
	// An invalid new version is rejected too, and the cache stays.
	s3 := newEnv(t).open(t, nil, HTTPOptions{})
	good := writeIndex(t, indexYAML("alpha"))
	if _, err := s3.Add(context.Background(), "ix", "file://"+good, ""); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte("- name: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s3.Update(context.Background(), "ix"); !errors.Is(err, ErrInvalidIndex) {
		t.Fatalf("invalid update: %v", err)
	}
	if _, err := s3.Lookup(context.Background(), "alpha"); err != nil {
		t.Fatalf("cache replaced by an invalid index: %v", err)
	}
}

func TestStoreAddExistingName(t *testing.T) {
	e := newEnv(t)
	s := e.open(t, nil, HTTPOptions{})
	a, b := writeIndex(t, indexYAML("alpha")), writeIndex(t, indexYAML("beta"))
	ctx := context.Background()
	if _, err := s.Add(ctx, "ix", "file://"+a, ""); err != nil {
		t.Fatal(err)
	}
	res, err := s.Add(ctx, "ix", "file://"+a, "")
	if err != nil || !res.Refreshed || res.PreviousURL != "" {
		t.Fatalf("same URL: %+v %v", res, err)
	}
	res, err = s.Add(ctx, "ix", "file://"+b, "")
	if err != nil || res.PreviousURL != "file://"+a {
		t.Fatalf("other URL: %+v %v", res, err)
	}
	if l := s.List(); len(l) != 1 || l[0].URL != "file://"+b {
		t.Fatalf("list %+v", l)
	}
	if _, err := s.Lookup(ctx, "beta"); err != nil {
		t.Fatal(err)
	}
}

func TestStoreAddRejectsAndSavesNothing(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	bad := writeIndex(t, "- name: a\n  type: plugin\n")
	tests := []struct {
		name, url, backend string
		want               error
	}{
		{"404", srv.URL + "/index.yaml", "", ErrFetch},
		{"down", downURL(t), "", ErrFetch},
		{"invalid index", "file://" + bad, "", ErrInvalidIndex},
		{"missing file", "file:///nonexistent/index.yaml", "", ErrFetch},
		{"no scheme", "example.com/index.yaml", "", ErrBadSource},
		{"ftp", "ftp://example.com/index.yaml", "", ErrBadSource},
		{"backend mismatch", "file://" + bad, "https", ErrBadSource},
		{"unknown backend", "https://example.com/i.yaml", "gcs", ErrBadSource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.open(t, nil, HTTPOptions{})
			_, err := s.Add(context.Background(), "ix", tt.url, tt.backend)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(e.stateDir, StateFileName)); !os.IsNotExist(err) {
				t.Fatalf("state store written after a failed add")
			}
			if len(s.List()) != 0 {
				t.Fatalf("index listed after a failed add")
			}
		})
	}
	if _, err := newEnv(t).open(t, nil, HTTPOptions{}).Add(context.Background(), "bad name", "file://"+bad, ""); err == nil {
		t.Fatal("a name with a space was accepted")
	}
}

func TestStoreAddedOverridesConfigAndRemove(t *testing.T) {
	e := newEnv(t)
	fromCfg, added := writeIndex(t, indexYAML("alpha")), writeIndex(t, indexYAML("alpha", "beta"))
	cfg := []config.IndexConfig{{Name: "main", URL: "file://" + fromCfg}, {Name: "other", URL: "file://" + fromCfg}}
	ctx := context.Background()
	s := e.open(t, cfg, HTTPOptions{})
	if _, err := s.Lookup(ctx, "alpha"); err != nil { // caches the config copy
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, "main", "file://"+added, ""); err != nil {
		t.Fatal(err)
	}
	l := s.List()
	if len(l) != 2 || l[0].Name != "main" || !l[0].OverridesConfig || l[0].OriginLabel() != "added (overrides config)" || l[1].Origin != OriginConfig {
		t.Fatalf("list %+v", l)
	}
	s = e.open(t, cfg, HTTPOptions{})
	if got, err := s.Lookup(ctx, "beta"); err != nil || got.Index != "main" {
		t.Fatalf("added copy not used: %+v %v", got, err)
	}
	// Removing: unknown and config names are refused and nothing is removed.
	if _, err := s.Remove("main", "nope"); !errors.Is(err, ErrUnknownIndex) || !strings.Contains(err.Error(), "known: main, other") {
		t.Fatalf("unknown: %v", err)
	}
	if _, err := s.Remove("other"); !errors.Is(err, ErrConfigIndex) || !strings.Contains(err.Error(), "configuration file") {
		t.Fatalf("config: %v", err)
	}
	if len(s.List()) != 2 || !s.List()[0].OverridesConfig {
		t.Fatal("a refused removal changed the state")
	}
	res, err := s.Remove("main")
	if err != nil || len(res) != 1 || !res[0].RestoredConfig {
		t.Fatalf("remove %+v %v", res, err)
	}
	s = e.open(t, cfg, HTTPOptions{})
	if l := s.List(); l[0].Origin != OriginConfig || l[0].OverridesConfig || !l[0].Fetched() {
		t.Fatalf("config index not restored with its own cache: %+v", l[0])
	}
	if _, err := s.Lookup(ctx, "beta"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed index still used: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.stateDir, CacheDirName, "added", "main.yaml")); !os.IsNotExist(err) {
		t.Fatal("cache of a removed index left behind")
	}
}

func TestStoreMergedFirstIndexWins(t *testing.T) {
	e := newEnv(t)
	a := writeIndex(t, indexYAML("shared", "only-a"))
	b := writeIndex(t, strings.ReplaceAll(indexYAML("shared", "only-b"), "registry.test:5000", "other.test"))
	s := e.open(t, []config.IndexConfig{{Name: "a", URL: "file://" + a}, {Name: "b", URL: "file://" + b}}, HTTPOptions{})
	got, err := s.Lookup(context.Background(), "shared")
	if err != nil || got.Index != "a" || got.Registry != "registry.test:5000" {
		t.Fatalf("lookup %+v %v", got, err)
	}
	entries, err := s.Entries(context.Background())
	if err != nil || len(entries) != 3 {
		t.Fatalf("merged entries %+v %v", entries, err)
	}
}

func TestOpenStoreRejectsBadConfig(t *testing.T) {
	for _, cfg := range [][]config.IndexConfig{
		{{Name: "a"}},
		{{URL: "https://a"}},
		{{Name: "a", URL: "https://a"}, {Name: "a", URL: "https://b"}},
		{{Name: "a", URL: "ftp://a"}},
	} {
		if _, err := OpenStore(StoreOptions{StateDir: t.TempDir(), Indexes: cfg}); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, StateFileName), []byte("indexes: {broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(StoreOptions{StateDir: dir}); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("corrupt state: %v", err)
	}
}

func TestStoreCorruptCacheIsRefetched(t *testing.T) {
	srv := newETagServer(t, indexYAML("alpha"))
	e := newEnv(t)
	cfg := []config.IndexConfig{{Name: "r", URL: srv.URL}}
	if _, err := e.open(t, cfg, HTTPOptions{}).Lookup(context.Background(), "alpha"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.stateDir, CacheDirName, "config", "r.yaml"), []byte("{{{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.open(t, cfg, HTTPOptions{}).Lookup(context.Background(), "alpha"); err != nil {
		t.Fatal(err)
	}
	if srv.full.Load() != 2 {
		t.Fatalf("%d fetches, want 2", srv.full.Load())
	}
}

func TestHTTPSCustomCA(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, indexYAML("alpha"))
	}))
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err := newEnv(t).open(t, nil, HTTPOptions{}).Add(ctx, "tls", srv.URL, "")
	if !errors.Is(err, ErrFetch) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted certificate accepted: %v", err)
	}
	res, err := newEnv(t).open(t, nil, HTTPOptions{CAFile: caFile}).Add(ctx, "tls", srv.URL, "")
	if err != nil || res.Info.Backend != BackendHTTPS {
		t.Fatalf("with the CA file: %+v %v", res, err)
	}
	if _, err := newEnv(t).open(t, nil, HTTPOptions{InsecureSkipVerify: true}).Add(ctx, "tls", srv.URL, ""); err != nil {
		t.Fatalf("insecure: %v", err)
	}
	notPEM := writeIndex(t, "not a certificate")
	if _, err := newEnv(t).open(t, nil, HTTPOptions{CAFile: notPEM}).Add(ctx, "tls", srv.URL, ""); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("bad CA file: %v", err)
	}
}

func TestHTTPTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	_, err := newEnv(t).open(t, nil, HTTPOptions{Timeout: 200 * time.Millisecond}).Add(context.Background(), "slow", srv.URL, "")
	if !errors.Is(err, ErrFetch) || !strings.Contains(err.Error(), "Timeout") {
		t.Fatalf("timeout: %v", err)
	}
}

// TestHTTPProxyFromEnvironment runs a child test process with HTTP_PROXY set
// (Go reads proxy variables once per process) and checks that the index
// request went through the proxy.
func TestHTTPProxyFromEnvironment(t *testing.T) {
	if os.Getenv("SAKER_INDEX_PROXY_CHILD") == "1" {
		s, err := OpenStore(StoreOptions{StateDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Add(context.Background(), "viaproxy", "http://index.saker.invalid/index.yaml", ""); err != nil {
			t.Fatal(err)
		}
		return
	}
	var seen atomic.Value
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.URL.String())
		fmt.Fprint(w, indexYAML("alpha"))
	}))
	t.Cleanup(proxy.Close)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHTTPProxyFromEnvironment$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SAKER_INDEX_PROXY_CHILD=1", "HTTP_PROXY="+proxy.URL, "http_proxy="+proxy.URL,
		"NO_PROXY=", "no_proxy=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if got, _ := seen.Load().(string); got != "http://index.saker.invalid/index.yaml" {
		t.Fatalf("proxy saw %q", got)
	}
}

func BenchmarkLookupCached(b *testing.B) {
	dir := b.TempDir()
	p := filepath.Join(dir, "index.yaml")
	var names []string
	for i := range 500 {
		names = append(names, fmt.Sprintf("artifact-%03d", i))
	}
	if err := os.WriteFile(p, []byte(indexYAML(names...)), 0o644); err != nil {
		b.Fatal(err)
	}
	opts := StoreOptions{StateDir: filepath.Join(dir, "state"), Indexes: []config.IndexConfig{{Name: "big", URL: "file://" + p}}}
	s, err := OpenStore(opts)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Lookup(context.Background(), "artifact-000"); err != nil {
		b.Fatal(err)
	}
	b.Run("warm", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Lookup(context.Background(), "artifact-499"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("new-process", func(b *testing.B) {
		for b.Loop() {
			s, err := OpenStore(opts)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.Lookup(context.Background(), "artifact-499"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Concurrent sakerctl processes adding indexes must not lose each other's
// records: the state store is updated under a file lock.
func TestStoreConcurrentAdds(t *testing.T) {
	e := newEnv(t)
	p := writeIndex(t, indexYAML("alpha"))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := OpenStore(StoreOptions{StateDir: e.stateDir})
			if err == nil {
				_, err = s.Add(context.Background(), fmt.Sprintf("ix%d", i), "file://"+p, "")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.open(t, nil, HTTPOptions{}).List()); n != 8 {
		t.Fatalf("%d indexes recorded, want 8", n)
	}
}
