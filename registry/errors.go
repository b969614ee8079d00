package registry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Errors returned (wrapped with context) by this package.
var (
	// ErrUnauthorized means the registry refused the credentials (or
	// there were none).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrNotFound means the repository, tag or blob does not exist.
	ErrNotFound = errors.New("not found")
	// ErrUnreachable means the registry could not be contacted.
	ErrUnreachable = errors.New("registry unreachable")
	// ErrInvalidReference means a reference could not be parsed.
	ErrInvalidReference = errors.New("invalid reference")
)

// Explain turns an oras-go or transport error about ref into one line that
// says what failed and what to do, wrapping one of this package's errors
// where it applies. Other errors are returned wrapped with ref.
func Explain(err error, ref string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnreachable) || errors.Is(err, ErrInvalidReference) {
		return err
	}
	host := ref
	if i := strings.IndexByte(ref, '/'); i > 0 {
		host = ref[:i]
	}
	if errors.Is(err, auth.ErrBasicCredentialNotFound) {
		return fmt.Errorf("%s: %w: the registry requires credentials and none are configured for %s: log in with `sakerctl registry auth basic %s`", ref, ErrUnauthorized, host, host)
	}
	var resp *errcode.ErrorResponse
	if errors.As(err, &resp) {
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%s: %w (HTTP %d): log in with `sakerctl registry auth basic %s` or set registry.auth in the configuration", ref, ErrUnauthorized, resp.StatusCode, host)
		case http.StatusNotFound:
			return fmt.Errorf("%s: %w (HTTP 404): check the repository name and tag", ref, ErrNotFound)
		case http.StatusTooManyRequests:
			return fmt.Errorf("%s: rate limited by the registry (HTTP 429) after retries: try again later", ref)
		}
		return fmt.Errorf("%s: registry answered HTTP %d: %s", ref, resp.StatusCode, errText(resp))
	}
	if errors.Is(err, errdef.ErrNotFound) {
		return fmt.Errorf("%s: %w", ref, ErrNotFound)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", ref, err)
	}
	var netErr net.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.As(err, &opErr) || errors.As(err, &dnsErr) || (errors.As(err, &netErr) && netErr.Timeout()) {
		return fmt.Errorf("%s: %w: %v (check the address, --plain-http for HTTP registries, and network access)", ref, ErrUnreachable, rootCause(err))
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return fmt.Errorf("%s: %w: the registry speaks plain HTTP: pass --plain-http or list it in registry.plainHTTP", ref, ErrUnreachable)
	case strings.Contains(msg, "x509:") || strings.Contains(msg, "tls:"):
		return fmt.Errorf("%s: %w: TLS verification failed: %v (pass --ca-file with the registry's CA, or --insecure-skip-tls-verify)", ref, ErrUnreachable, rootCause(err))
	}
	return fmt.Errorf("%s: %w", ref, err)
}

func errText(resp *errcode.ErrorResponse) string {
	if len(resp.Errors) == 0 {
		return http.StatusText(resp.StatusCode)
	}
	return resp.Errors.Error()
}

// rootCause strips the wrappers of net/http errors, whose text repeats the
// request method and URL.
func rootCause(err error) error {
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return opErr
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}
