package artifact_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sakersec/saker/internal/faultproxy"
	"github.com/sakersec/saker/internal/testregistry"
)

// faultEnv is a test registry behind a fault-injecting proxy, with two
// versions of a rulesfile pushed and the first installed.
func faultEnv(t *testing.T) (*env, *faultproxy.Proxy, string, string) {
	t.Helper()
	var fp *faultproxy.Proxy
	e := newEnv(t, testregistry.Options{Wrap: func(h http.Handler) http.Handler {
		fp = faultproxy.Wrap(h)
		return fp
	}})
	src := t.TempDir()
	v1 := "- list: faults\n  items: [one]\n"
	v2 := "- list: faults\n  items: [two]\n" + strings.Repeat("# padding\n", 2000)
	e.push(e.reg.Ref("rules/faults", "1.0.0"), writeFile(t, filepath.Join(src, "1", "faults.yaml"), v1), "--type", "rulesfile", "--version", "1.0.0")
	e.push(e.reg.Ref("rules/faults", "2.0.0"), writeFile(t, filepath.Join(src, "2", "faults.yaml"), v2), "--type", "rulesfile", "--version", "2.0.0")
	e.install(e.reg.Ref("rules/faults", "1.0.0"))
	return e, fp, v1, v2
}

// Transient faults on a blob are retried with backoff and the install
// succeeds; faults that persist end in one clear error and leave the
// installed version untouched.
func TestInstallThroughRegistryFaults(t *testing.T) {
	e, fp, v1, v2 := faultEnv(t)
	dest := filepath.Join(e.rules, "faults.yaml")
	ref := e.reg.Ref("rules/faults", "2.0.0")
	status := func(code int, retryAfter string) faultproxy.Fault {
		return faultproxy.Fault{Kind: faultproxy.Status, Status: code, RetryAfter: retryAfter}
	}

	transient := []struct {
		name  string
		match faultproxy.Match
		fault faultproxy.Fault
	}{
		{"503 on blobs", faultproxy.BlobGets, status(http.StatusServiceUnavailable, "")},
		{"500 on manifests", faultproxy.ManifestGets, status(http.StatusInternalServerError, "")},
		{"429 everywhere", faultproxy.Any, status(http.StatusTooManyRequests, "0")},
		{"slow responses", faultproxy.Any, faultproxy.Fault{Kind: faultproxy.Delay, Delay: 100 * time.Millisecond}},
	}
	for _, c := range transient {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			e.install(e.reg.Ref("rules/faults", "1.0.0"))
			fp.SetRules(faultproxy.Rule{Match: c.match, Fault: c.fault, Times: 2})
			e.install(ref)
			fp.SetRules()
			if got := readFile(t, dest); got != v2 {
				t.Fatalf("installed file is not version 2 after retries")
			}
			if n := fp.Faults(); n < 2 {
				t.Fatalf("%d faults injected, want 2", n)
			}
		})
	}

	layer := faultproxy.BlobGet(layerDigest(t, e, ref))
	persistent := []struct {
		name  string
		rule  faultproxy.Rule
		want  string
		tries int
	}{
		{"503 forever", faultproxy.Rule{Match: faultproxy.BlobGets, Fault: status(http.StatusServiceUnavailable, "0")}, "HTTP 503", 6},
		{"429 forever", faultproxy.Rule{Match: faultproxy.ManifestGets, Fault: status(http.StatusTooManyRequests, "0")}, "rate limited by the registry (HTTP 429) after retries", 6},
		{"connection reset mid-config", faultproxy.Rule{Match: faultproxy.BlobGets, Fault: faultproxy.Fault{Kind: faultproxy.Reset}}, "connection reset", 1},
		{"connection reset mid-layer", faultproxy.Rule{Match: layer, Fault: faultproxy.Fault{Kind: faultproxy.Reset}}, "connection reset", 1},
		{"truncated layer", faultproxy.Rule{Match: layer, Fault: faultproxy.Fault{Kind: faultproxy.Truncate}}, "unexpected EOF", 1},
		{"wrong bytes in layer", faultproxy.Rule{Match: layer, Fault: faultproxy.Fault{Kind: faultproxy.Corrupt}}, "digest mismatch", 1},
	}
	for _, c := range persistent {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			e.install(e.reg.Ref("rules/faults", "1.0.0"))
			before := snapshot(t, e.root+"/etc")
			fp.SetRules(c.rule)
			t.Log(e.installFails(c.want, ref))
			faults := fp.Faults()
			fp.SetRules()
			sameSnapshot(t, c.name, before, snapshot(t, e.root+"/etc"))
			if got := readFile(t, dest); got != v1 {
				t.Fatal("version 1 no longer installed after a failed install")
			}
			if faults < c.tries {
				t.Errorf("%d requests faulted, want at least %d (retries)", faults, c.tries)
			}
			// Nothing is left half-done: the next install works.
			e.install(ref)
			if got := readFile(t, dest); got != v2 {
				t.Fatal("install after the faults stopped did not install version 2")
			}
		})
	}
	e.t = t
}

// A 429's Retry-After is waited out before the request is repeated.
func TestInstallHonoursRetryAfter(t *testing.T) {
	e, fp, _, v2 := faultEnv(t)
	fp.SetRules(faultproxy.Rule{Match: faultproxy.BlobGets, Fault: faultproxy.Fault{Kind: faultproxy.Status, Status: http.StatusTooManyRequests, RetryAfter: "1"}, Times: 1})
	e.install(e.reg.Ref("rules/faults", "2.0.0"))
	if got := readFile(t, filepath.Join(e.rules, "faults.yaml")); got != v2 {
		t.Fatal("version 2 not installed")
	}
	reqs := fp.Requests()
	for i, r := range reqs {
		if r.Fault == 0 {
			continue
		}
		if i+1 >= len(reqs) {
			t.Fatal("rate-limited request never repeated")
		}
		next := reqs[i+1]
		if next.Path != r.Path {
			t.Fatalf("after the 429 on %s came %s, want the same request repeated", r.Path, next.Path)
		}
		if wait := next.At.Sub(r.At); wait < time.Second {
			t.Fatalf("request repeated after %v, before Retry-After: 1 elapsed", wait)
		}
		return
	}
	t.Fatal("no request was rate-limited")
}
