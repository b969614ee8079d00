package outputs

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/sakersec/saker/sensor/alert"
)

// HTTPOptions configure the HTTP sink (falco.yaml's http_output).
type HTTPOptions struct {
	URL       string
	UserAgent string
	Format    Format
	// Timeout bounds one POST (Falco's output_timeout).
	Timeout time.Duration
	// Insecure skips server certificate verification.
	Insecure bool
	// CACert and CABundle are PEM files, CAPath a directory of them; all
	// are added to the system roots.
	CACert, CABundle, CAPath string
	// MTLS presents ClientCert/ClientKey.
	MTLS                  bool
	ClientCert, ClientKey string
	// Echo copies each response body to this writer (Falco's echo).
	Echo io.Writer
}

// HTTP posts one alert per request: Falco's JSON object with Content-Type
// application/json when Format.JSON is set (what falcosidekick and
// event-generator expect), the text line as text/plain otherwise, as Falco
// does.
type HTTP struct {
	o      HTTPOptions
	client *http.Client
	buf    []byte
}

// NewHTTP builds the client; a bad CA or client certificate is an error
// naming the file.
func NewHTTP(o HTTPOptions) (*HTTP, error) {
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.UserAgent == "" {
		o.UserAgent = "falcosecurity/falco"
	}
	tlsCfg := &tls.Config{InsecureSkipVerify: o.Insecure} //nolint:gosec // user asked for it with http_output.insecure
	if o.CACert != "" || o.CABundle != "" || (o.CAPath != "" && o.CAPath != "/etc/ssl/certs") {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		var files []string
		for _, f := range []string{o.CACert, o.CABundle} {
			if f != "" {
				files = append(files, f)
			}
		}
		if o.CAPath != "" {
			m, _ := filepath.Glob(filepath.Join(o.CAPath, "*"))
			for _, f := range m {
				if st, err := os.Stat(f); err == nil && !st.IsDir() {
					files = append(files, f)
				}
			}
		}
		for i, f := range files {
			pem, err := os.ReadFile(f)
			if err != nil {
				if i < 2 && (f == o.CACert || f == o.CABundle) {
					return nil, fmt.Errorf("http_output: reading CA %s: %w", f, err)
				}
				continue
			}
			if !pool.AppendCertsFromPEM(pem) && (f == o.CACert || f == o.CABundle) {
				return nil, fmt.Errorf("http_output: %s holds no PEM certificate", f)
			}
		}
		tlsCfg.RootCAs = pool
	}
	if o.MTLS {
		cert, err := tls.LoadX509KeyPair(o.ClientCert, o.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("http_output: mtls client certificate %s / key %s: %w", o.ClientCert, o.ClientKey, err)
		}
		tlsCfg.Certificates = []tls.Certificate{cert}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	tr.MaxIdleConnsPerHost = 4
	return &HTTP{o: o, client: &http.Client{Transport: tr, Timeout: o.Timeout}}, nil
}

// Name implements Sink.
func (s *HTTP) Name() string { return "http" }

// Write implements Sink.
func (s *HTTP) Write(ctx context.Context, a *alert.Alert) error {
	s.buf = s.o.Format.Append(s.buf[:0], a)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.o.URL, bytes.NewReader(s.buf))
	if err != nil {
		return fmt.Errorf("http_output: %w", err)
	}
	if s.o.Format.JSON {
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Header.Set("Content-Type", "text/plain")
	}
	req.Header.Set("User-Agent", s.o.UserAgent)
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("http_output: %w", err)
	}
	defer resp.Body.Close()
	if s.o.Echo != nil {
		io.Copy(s.o.Echo, io.LimitReader(resp.Body, 1<<20))
	} else {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("http_output: POST %s: %s", s.o.URL, resp.Status)
	}
	return nil
}

// Close releases idle connections.
func (s *HTTP) Close() error {
	s.client.CloseIdleConnections()
	return nil
}
