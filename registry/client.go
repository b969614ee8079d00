package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"

	"github.com/sakersec/saker/internal/config"
)

// CredentialsFileName is the docker-style credential store sakerctl
// writes, relative to the state directory, unless registry.creds.config
// names another file.
const CredentialsFileName = "creds.json"

// OAuthFileName holds the OAuth2 client credentials saved by
// `registry auth oauth`, relative to the state directory.
const OAuthFileName = "oauth.json"

// Options configure a [Client]. The zero value talks HTTPS with the system
// roots, no credentials, and the default retry policy.
type Options struct {
	// PlainHTTP speaks plain HTTP to every registry.
	PlainHTTP bool
	// PlainHTTPHosts lists registries (host[:port]) spoken to over plain
	// HTTP (registry.plainHTTP).
	PlainHTTPHosts []string
	// CAFile is a PEM bundle trusted in addition to the system roots.
	CAFile string
	// InsecureSkipTLSVerify disables certificate verification.
	InsecureSkipTLSVerify bool
	// CredentialsFile is the docker-style credential store (config file
	// with optional credential helpers). Empty means no store.
	CredentialsFile string
	// OAuthFile holds OAuth2 client credentials saved by SaveOAuth.
	OAuthFile string
	// Basic and OAuth are inline credentials from the configuration; they
	// win over the credential store.
	Basic []config.BasicAuth
	OAuth []config.OAuthAuth
	// Retry tunes retries on 429, 408, 5xx and transient network errors.
	Retry RetryOptions
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
	// BlockedRealmPrefixes overrides oras-go's denylist of token realm
	// addresses. Tests against loopback token servers set it to an empty
	// non-nil slice; nil keeps the safe default.
	BlockedRealmPrefixes []netip.Prefix
	// Transport replaces the base HTTP transport (tests).
	Transport http.RoundTripper
}

// RetryOptions tune the retry policy.
type RetryOptions struct {
	// MaxRetry is the number of retries after the first attempt (default 5).
	MaxRetry int
	// MaxWait caps one wait, including a Retry-After (default 60s).
	MaxWait time.Duration
}

// OptionsFromConfig returns the options cfg describes; flags are applied
// by the caller on top.
func OptionsFromConfig(cfg *config.Config) Options {
	credFile := cfg.Registry.Creds.Config
	if credFile == "" {
		credFile = filepath.Join(cfg.StateDir(), CredentialsFileName)
	}
	return Options{
		PlainHTTPHosts:        cfg.Registry.PlainHTTP,
		CAFile:                cfg.Registry.TLS.CAFile,
		InsecureSkipTLSVerify: cfg.Registry.TLS.InsecureSkipVerify,
		CredentialsFile:       credFile,
		OAuthFile:             filepath.Join(cfg.StateDir(), OAuthFileName),
		Basic:                 cfg.Registry.Auth.Basic,
		OAuth:                 cfg.Registry.Auth.OAuth,
	}
}

// Client opens repositories with shared transport, credentials and token
// cache. It is safe for concurrent use by multiple goroutines.
type Client struct {
	opts   Options
	http   *http.Client
	auth   *auth.Client
	store  credentials.Store
	logger *slog.Logger

	mu     sync.Mutex
	tokens map[string]oauthToken
}

// New builds a Client. It fails if the CA file cannot be read or the
// credential store is malformed.
func New(opts Options) (*Client, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	base, err := baseTransport(opts)
	if err != nil {
		return nil, err
	}
	httpClient := &http.Client{Transport: &retry.Transport{Base: base, Policy: retryPolicy(opts.Retry)}}
	c := &Client{opts: opts, http: httpClient, logger: logger, tokens: map[string]oauthToken{}}
	if opts.CredentialsFile != "" {
		st, err := credentials.NewStore(opts.CredentialsFile, credentials.StoreOptions{AllowPlaintextPut: true})
		if err != nil {
			return nil, fmt.Errorf("credential store %s: %w (fix or remove the file)", opts.CredentialsFile, err)
		}
		c.store = st
	}
	c.auth = &auth.Client{
		Client:               httpClient,
		Cache:                auth.NewCache(),
		Credential:           c.credential,
		Header:               http.Header{"User-Agent": {"sakerctl"}},
		BlockedRealmPrefixes: opts.BlockedRealmPrefixes,
	}
	return c, nil
}

func baseTransport(opts Options) (http.RoundTripper, error) {
	if opts.Transport != nil {
		return opts.Transport, nil
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--ca-file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-file %s: no PEM certificate found", opts.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	if opts.InsecureSkipTLSVerify {
		tlsCfg.InsecureSkipVerify = true
	}
	tr.TLSClientConfig = tlsCfg
	return tr, nil
}

// retryPolicy retries like oras-go's default but lets a Retry-After (on
// 429 and 503) wait up to MaxWait instead of oras-go's 3 s cap, since GHCR
// asks fleets to back off for longer.
func retryPolicy(o RetryOptions) func() retry.Policy {
	if o.MaxRetry <= 0 {
		o.MaxRetry = 5
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 60 * time.Second
	}
	exp := retry.ExponentialBackoff(250*time.Millisecond, 2, 0.1)
	p := &retry.GenericPolicy{
		Retryable: retry.DefaultPredicate,
		Backoff: func(attempt int, resp *http.Response) time.Duration {
			if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
				if d, ok := retryAfter(resp.Header.Get("Retry-After")); ok {
					return d
				}
			}
			d := exp(attempt, resp)
			if d > 3*time.Second {
				d = 3 * time.Second
			}
			return d
		},
		MinWait:  100 * time.Millisecond,
		MaxWait:  o.MaxWait,
		MaxRetry: o.MaxRetry,
	}
	return func() retry.Policy { return p }
}

func retryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var secs int
	if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t), true
	}
	return 0, false
}

// HTTPClient is the retrying HTTP client without registry auth (for token
// endpoints).
func (c *Client) HTTPClient() *http.Client { return c.http }

// plainHTTP reports whether host is spoken to over plain HTTP.
func (c *Client) plainHTTP(host string) bool {
	return c.opts.PlainHTTP || slices.Contains(c.opts.PlainHTTPHosts, host)
}

// Repository returns a repository client for ref (HOST/REPO with an
// optional :tag or @digest).
func (c *Client) Repository(ref string) (*remote.Repository, error) {
	r, err := registry.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("%q: %w: %v (want HOST/REPOSITORY[:TAG|@DIGEST])", ref, ErrInvalidReference, err)
	}
	repo := &remote.Repository{
		Reference: r,
		Client:    c.auth,
		PlainHTTP: c.plainHTTP(r.Registry),
		// Falco artifacts are small; their manifests even more so.
		MaxMetadataBytes: 4 << 20,
	}
	return repo, nil
}

// Registry returns a client for the registry host itself (ping, login).
func (c *Client) Registry(host string) (*remote.Registry, error) {
	reg, err := remote.NewRegistry(host)
	if err != nil {
		return nil, fmt.Errorf("%q: %w: %v", host, ErrInvalidReference, err)
	}
	reg.Client = c.auth
	reg.PlainHTTP = c.plainHTTP(host)
	return reg, nil
}

// credential resolves the credential for host: inline basic auth, then
// OAuth2 client credentials (configuration, then saved), then the
// credential store.
func (c *Client) credential(ctx context.Context, hostport string) (auth.Credential, error) {
	for _, b := range c.opts.Basic {
		if sameHost(b.Registry, hostport) {
			return auth.Credential{Username: b.User, Password: b.Password}, nil
		}
	}
	if oa, ok := c.oauthFor(hostport); ok {
		tok, err := c.oauthToken(ctx, hostport, oa)
		if err != nil {
			return auth.EmptyCredential, err
		}
		return auth.Credential{AccessToken: tok}, nil
	}
	if c.store != nil {
		cred, err := credentials.Credential(c.store)(ctx, hostport)
		if err != nil {
			return auth.EmptyCredential, fmt.Errorf("credential store %s for %s: %w", c.opts.CredentialsFile, hostport, err)
		}
		return cred, nil
	}
	return auth.EmptyCredential, nil
}

func sameHost(configured, hostport string) bool {
	configured = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(configured, "https://"), "http://"), "/")
	return configured == hostport
}

// Login checks user/password against host and saves them in the
// credential store (a file written 0600, or the configured helper).
func (c *Client) Login(ctx context.Context, host, user, password string) error {
	if c.store == nil {
		return errors.New("no credential store configured (set registry.creds.config)")
	}
	reg, err := c.Registry(host)
	if err != nil {
		return err
	}
	if err := credentials.Login(ctx, c.store, reg, auth.Credential{Username: user, Password: password}); err != nil {
		return Explain(err, host)
	}
	if fi, err := os.Stat(c.opts.CredentialsFile); err == nil && fi.Mode().Perm() != 0o600 {
		if err := os.Chmod(c.opts.CredentialsFile, 0o600); err != nil {
			return fmt.Errorf("credential store %s: %w", c.opts.CredentialsFile, err)
		}
	}
	c.logger.Debug("credentials saved", "registry", host, "store", c.opts.CredentialsFile)
	return nil
}

// Ping checks that host answers the OCI distribution API with the
// configured credentials.
func (c *Client) Ping(ctx context.Context, host string) error {
	reg, err := c.Registry(host)
	if err != nil {
		return err
	}
	return Explain(reg.Ping(ctx), host)
}
