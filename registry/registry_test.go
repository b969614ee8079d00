package registry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sakersec/saker/internal/config"
	"github.com/sakersec/saker/internal/testregistry"
)

// bearerRegistry answers /v2/ only to "Bearer good-token".
func bearerRegistry(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer good-token" {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Header().Set("Www-Authenticate", `Bearer realm="http://`+r.Host+`/token",service="test"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// tokenServer implements the OAuth2 client-credentials grant for
// id/secret and counts the tokens it hands out.
func tokenServer(t *testing.T, calls *atomic.Int32) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if err := r.ParseForm(); err != nil || !ok || id != "id" || secret != "secret" || r.Form.Get("grant_type") != "client_credentials" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"good-token","token_type":"bearer","expires_in":3600}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/oauth/token"
}

func TestOAuthClientCredentials(t *testing.T) {
	ctx := context.Background()
	host := bearerRegistry(t)
	var calls atomic.Int32
	tokenURL := tokenServer(t, &calls)
	oauthFile := filepath.Join(t.TempDir(), "oauth.json")

	c, err := New(Options{PlainHTTP: true, OAuthFile: oauthFile})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx, host); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("ping without credentials: %v, want ErrUnauthorized", err)
	}
	err = c.SaveOAuth(ctx, config.OAuthAuth{Registry: host, ClientID: "id", ClientSecret: "wrong", TokenURL: tokenURL})
	if !errors.Is(err, ErrUnauthorized) || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("bad secret: %v, want ErrUnauthorized without the secret", err)
	}
	if err := c.SaveOAuth(ctx, config.OAuthAuth{Registry: host, ClientID: "id", ClientSecret: "secret", TokenURL: tokenURL}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(oauthFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("oauth file: %v, %v; want mode 0600", fi, err)
	}

	// A fresh client finds the saved credentials and reuses its token.
	c2, err := New(Options{PlainHTTP: true, OAuthFile: oauthFile})
	if err != nil {
		t.Fatal(err)
	}
	before := calls.Load()
	for i := 0; i < 3; i++ {
		if err := c2.Ping(ctx, host); err != nil {
			t.Fatalf("ping %d with saved OAuth2 credentials: %v", i, err)
		}
	}
	if got := calls.Load() - before; got != 1 {
		t.Fatalf("%d token requests for 3 pings, want 1 (cached)", got)
	}

	// Inline configuration works too.
	c3, _ := New(Options{PlainHTTP: true, OAuth: []config.OAuthAuth{{Registry: host, ClientID: "id", ClientSecret: "secret", TokenURL: tokenURL}}})
	if err := c3.Ping(ctx, host); err != nil {
		t.Fatalf("inline OAuth2: %v", err)
	}
}

func TestBasicAuthFromConfigAndErrors(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.Options{TLS: true, Users: map[string]string{"u": "right-password"}})
	good, err := New(Options{CAFile: reg.CAFile, Basic: []config.BasicAuth{{Registry: reg.Host, User: "u", Password: "right-password"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := good.Ping(ctx, reg.Host); err != nil {
		t.Fatalf("ping with configured basic auth: %v", err)
	}
	bad, _ := New(Options{CAFile: reg.CAFile, Basic: []config.BasicAuth{{Registry: reg.Host, User: "u", Password: "wrong-password"}}})
	err = bad.Ping(ctx, reg.Host)
	if !errors.Is(err, ErrUnauthorized) || strings.Contains(err.Error(), "wrong-password") {
		t.Fatalf("wrong password: %v, want ErrUnauthorized without the password", err)
	}
	// Without the CA the certificate is refused; skip-verify accepts it.
	noCA, _ := New(Options{})
	if err := noCA.Ping(ctx, reg.Host); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "--ca-file") {
		t.Fatalf("unknown CA: %v, want ErrUnreachable suggesting --ca-file", err)
	}
	skip, _ := New(Options{InsecureSkipTLSVerify: true, Basic: []config.BasicAuth{{Registry: reg.Host, User: "u", Password: "right-password"}}})
	if err := skip.Ping(ctx, reg.Host); err != nil {
		t.Fatalf("insecure-skip-tls-verify: %v", err)
	}
	if _, err := New(Options{CAFile: filepath.Join(t.TempDir(), "missing.pem")}); err == nil {
		t.Fatal("missing CA file accepted")
	}
}

func TestLoginWritesPrivateStore(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.Options{Users: map[string]string{"u": "pw"}})
	store := filepath.Join(t.TempDir(), "dir", "creds.json")
	c, err := New(Options{PlainHTTP: true, CredentialsFile: store})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(ctx, reg.Host, "u", "nope"); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("login with a wrong password: %v", err)
	}
	if _, err := os.Stat(store); !os.IsNotExist(err) {
		t.Fatalf("a failed login wrote the store (%v)", err)
	}
	if err := c.Login(ctx, reg.Host, "u", "pw"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(store)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("store %v, %v; want mode 0600", fi, err)
	}
	c2, _ := New(Options{PlainHTTP: true, CredentialsFile: store})
	if err := c2.Ping(ctx, reg.Host); err != nil {
		t.Fatalf("ping with stored credentials: %v", err)
	}
}

func TestRetryAfter(t *testing.T) {
	if d, ok := retryAfter("7"); !ok || d != 7*time.Second {
		t.Errorf("retryAfter(7) = %v, %v", d, ok)
	}
	if d, ok := retryAfter(time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)); !ok || d < 25*time.Second || d > 31*time.Second {
		t.Errorf("retryAfter(date) = %v, %v", d, ok)
	}
	if _, ok := retryAfter("soon"); ok {
		t.Error("retryAfter(soon) accepted")
	}
	p := retryPolicy(RetryOptions{MaxWait: 10 * time.Second})()
	resp := &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"8"}}}
	if d, err := p.Retry(0, resp, nil); err != nil || d != 8*time.Second {
		t.Errorf("429 Retry-After 8: wait %v, %v; want 8s (beyond oras-go's 3s cap)", d, err)
	}
	resp.Header.Set("Retry-After", "600")
	if d, _ := p.Retry(0, resp, nil); d != 10*time.Second {
		t.Errorf("Retry-After 600 with MaxWait 10s: wait %v", d)
	}
	if d, _ := p.Retry(0, &http.Response{StatusCode: http.StatusNotFound}, nil); d >= 0 {
		t.Errorf("404 retried after %v", d)
	}
}

func TestPlainHTTPRegistryNeedsTheFlag(t *testing.T) {
	reg := testregistry.New(t, testregistry.Options{})
	c, _ := New(Options{})
	err := c.Ping(context.Background(), reg.Host)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "--plain-http") {
		t.Fatalf("HTTPS to a plain-HTTP registry: %v, want a hint about --plain-http", err)
	}
	c, _ = New(Options{PlainHTTPHosts: []string{reg.Host}})
	if err := c.Ping(context.Background(), reg.Host); err != nil {
		t.Fatalf("registry.plainHTTP: %v", err)
	}
}
