package index

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Backends an index can be fetched through.
const (
	BackendHTTP  = "http"
	BackendHTTPS = "https"
	BackendFile  = "file"
)

// MaxIndexSize bounds the size of an index.yaml. The public falcosecurity
// index is about 30 KiB; the bound only stops a wrong URL from filling memory.
const MaxIndexSize = 32 << 20

// DefaultTimeout bounds one index fetch when HTTPOptions.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// HTTPOptions configures fetching indexes over HTTP(S). The zero value uses
// the system trust store, proxies from HTTP_PROXY/HTTPS_PROXY/NO_PROXY and a
// 30 second timeout.
type HTTPOptions struct {
	// CAFile is a PEM file of extra certificate authorities to trust, on top
	// of the system ones (for an index served by an internal mirror).
	CAFile string
	// InsecureSkipVerify disables TLS certificate verification.
	InsecureSkipVerify bool
	// Timeout bounds one fetch, from connecting to reading the last byte.
	Timeout time.Duration
	// Client, when set, is used as is and the fields above are ignored.
	Client *http.Client
}

// NewHTTPClient builds the client used to fetch indexes.
func NewHTTPClient(opts HTTPOptions) (*http.Client, error) {
	if opts.Client != nil {
		return opts.Client, nil
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyFromEnvironment
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: opts.InsecureSkipVerify} //nolint:gosec // explicit user opt-in
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", opts.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	tr.TLSClientConfig = tlsCfg
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}

// InferBackend returns the backend for an index URL from its scheme.
func InferBackend(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("%w: URL %q: %v", ErrBadSource, rawURL, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return BackendHTTP, nil
	case "https":
		return BackendHTTPS, nil
	case "file":
		return BackendFile, nil
	case "":
		return "", fmt.Errorf("%w: URL %q has no scheme: use https://..., http://... or file:///path", ErrBadSource, rawURL)
	default:
		return "", fmt.Errorf("%w: URL %q: scheme %q is not supported (want http, https or file)", ErrBadSource, rawURL, u.Scheme)
	}
}

// CheckSource validates an index URL against its backend (empty backend:
// inferred from the URL) and returns the backend to use. http and https
// both accept http:// and https:// URLs, as in falcoctl.
func CheckSource(rawURL, backend string) (string, error) {
	if strings.TrimSpace(rawURL) == "" {
		return "", fmt.Errorf("%w: empty URL", ErrBadSource)
	}
	inferred, err := InferBackend(rawURL)
	if backend == "" {
		return inferred, err
	}
	b := strings.ToLower(backend)
	switch b {
	case BackendHTTP, BackendHTTPS:
		if err != nil || inferred == BackendFile {
			return "", fmt.Errorf("%w: backend %s needs an http:// or https:// URL, got %q", ErrBadSource, b, rawURL)
		}
	case BackendFile:
		// A bare path is fine for the file backend.
		if err == nil && inferred != BackendFile {
			return "", fmt.Errorf("%w: backend file needs a file:// URL or a path, got %q", ErrBadSource, rawURL)
		}
	default:
		return "", fmt.Errorf("%w: backend %q is not supported (want http, https or file)", ErrBadSource, backend)
	}
	return b, nil
}

// filePath returns the local path of a file backend URL.
func filePath(rawURL string) string {
	if p, ok := strings.CutPrefix(rawURL, "file://"); ok {
		return p
	}
	return rawURL
}

// NormalizeURL makes a file URL absolute so that an added index works from
// any directory; other URLs are returned unchanged.
func NormalizeURL(rawURL, backend string) (string, error) {
	if backend != BackendFile {
		return rawURL, nil
	}
	abs, err := filepath.Abs(filePath(rawURL))
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrBadSource, rawURL, err)
	}
	return "file://" + abs, nil
}

type fetchResult struct {
	data        []byte
	etag        string
	notModified bool
}

type fetcher struct {
	opts   HTTPOptions
	client *http.Client
}

func (f *fetcher) httpClient() (*http.Client, error) {
	if f.client == nil {
		c, err := NewHTTPClient(f.opts)
		if err != nil {
			return nil, err
		}
		f.client = c
	}
	return f.client, nil
}

// fetch downloads or reads one index. etag, when set, is sent as
// If-None-Match and a 304 answer sets notModified.
func (f *fetcher) fetch(ctx context.Context, rawURL, backend, etag string) (fetchResult, error) {
	switch backend {
	case BackendFile:
		p := filePath(rawURL)
		fh, err := os.Open(p)
		if err != nil {
			return fetchResult{}, fmt.Errorf("%w: %v", ErrFetch, err)
		}
		defer fh.Close()
		data, err := readLimited(fh, p)
		return fetchResult{data: data}, err
	case BackendHTTP, BackendHTTPS:
	default:
		return fetchResult{}, fmt.Errorf("%w: backend %q is not supported (want http, https or file)", ErrBadSource, backend)
	}
	client, err := f.httpClient()
	if err != nil {
		return fetchResult{}, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return fetchResult{}, fmt.Errorf("%w: %q: %v", ErrBadSource, rawURL, err)
	}
	req.Header.Set("Accept", "application/yaml, text/yaml, text/plain, */*")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fetchResult{}, fmt.Errorf("%w: %v", ErrFetch, unwrapURLError(err))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && etag != "":
		return fetchResult{etag: etag, notModified: true}, nil
	case resp.StatusCode != http.StatusOK:
		return fetchResult{}, fmt.Errorf("%w: GET %s: server answered %s", ErrFetch, rawURL, resp.Status)
	}
	data, err := readLimited(resp.Body, rawURL)
	if err != nil {
		return fetchResult{}, err
	}
	return fetchResult{data: data, etag: resp.Header.Get("ETag")}, nil
}

func readLimited(r io.Reader, source string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxIndexSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading %s: %v", ErrFetch, source, err)
	}
	if len(data) > MaxIndexSize {
		return nil, fmt.Errorf("%w: %s is larger than %d MiB; is it really an index.yaml?", ErrFetch, source, MaxIndexSize>>20)
	}
	return data, nil
}

// unwrapURLError keeps the message short: "Get "https://x": dial tcp ...".
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("GET %s: %v", ue.URL, ue.Err)
	}
	return err
}
