package testregistry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	// Registered by side effect: the htpasswd access controller and the
	// in-memory storage driver.
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

// Options configure a [Registry]. The zero value is a plain-HTTP registry
// without authentication.
type Options struct {
	// TLS serves HTTPS with a fresh self-signed certificate; the CA is
	// written to Registry.CAFile.
	TLS bool
	// Users enables htpasswd basic auth with these username → password pairs.
	Users map[string]string
	// Wrap, if set, wraps the registry handler, e.g. to inject faults.
	Wrap func(http.Handler) http.Handler
}

// Registry is a running test registry. It is closed by the test's cleanup.
type Registry struct {
	// Host is "127.0.0.1:PORT", the registry part of references.
	Host string
	// URL is the base URL, http:// or https://.
	URL string
	// CAFile is the PEM file of the CA that signed the TLS certificate
	// (empty without TLS).
	CAFile string
	// Client trusts the registry's certificate; it does not authenticate.
	Client *http.Client

	server *httptest.Server
}

var silenceOnce sync.Once

// New starts a registry for the duration of t.
func New(t testing.TB, opts Options) *Registry {
	t.Helper()
	// distribution logs every request through logrus' standard logger.
	silenceOnce.Do(func() {
		logrus.SetOutput(io.Discard)
		logrus.SetLevel(logrus.PanicLevel)
	})

	dir := t.TempDir()
	cfg := &configuration.Configuration{
		Storage: configuration.Storage{
			"inmemory":    configuration.Parameters{},
			"maintenance": configuration.Parameters{"uploadpurging": map[any]any{"enabled": false}},
		},
	}
	cfg.Log.Level = "panic"
	cfg.HTTP.Secret = "testregistry-secret"
	if len(opts.Users) > 0 {
		path := filepath.Join(dir, "htpasswd")
		if err := writeHtpasswd(path, opts.Users); err != nil {
			t.Fatalf("testregistry: %v", err)
		}
		cfg.Auth = configuration.Auth{"htpasswd": configuration.Parameters{"realm": "testregistry", "path": path}}
	}

	ctx, cancel := context.WithCancel(context.Background())
	var h http.Handler = handlers.NewApp(ctx, cfg)
	if opts.Wrap != nil {
		h = opts.Wrap(h)
	}
	srv := httptest.NewUnstartedServer(h)
	r := &Registry{server: srv}
	if opts.TLS {
		srv.StartTLS()
		r.CAFile = filepath.Join(dir, "ca.pem")
		if err := os.WriteFile(r.CAFile, certPEM(srv), 0o644); err != nil {
			t.Fatalf("testregistry: writing CA file: %v", err)
		}
	} else {
		srv.Start()
	}
	r.URL = srv.URL
	r.Host = strings.TrimPrefix(strings.TrimPrefix(srv.URL, "https://"), "http://")
	r.Client = srv.Client()
	t.Cleanup(func() {
		srv.Close()
		cancel()
	})
	return r
}

// Ref returns "HOST/repo" (plus ":tag" when tag is not empty).
func (r *Registry) Ref(repo, tag string) string {
	if tag == "" {
		return r.Host + "/" + repo
	}
	return r.Host + "/" + repo + ":" + tag
}

func writeHtpasswd(path string, users map[string]string) error {
	var b strings.Builder
	for u, p := range users {
		// MinCost keeps tests fast; these hashes guard nothing real.
		h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
		if err != nil {
			return fmt.Errorf("hashing password of %s: %w", u, err)
		}
		fmt.Fprintf(&b, "%s:%s\n", u, h)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}
