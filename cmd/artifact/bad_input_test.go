package artifact_test

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sakersec/saker/internal/testregistry"
)

// tamperer corrupts the blob with a chosen digest as the registry serves
// it, keeping its length, like a broken proxy or a malicious mirror.
type tamperer struct {
	digest atomic.Value
}

func (tp *tamperer) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, _ := tp.digest.Load().(string)
		if d == "" || r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+d) {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if len(body) > 0 {
			body[len(body)/2] ^= 0xff
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

func TestBadInputsLeaveInstalledFilesUnchanged(t *testing.T) {
	tp := &tamperer{}
	e := newEnv(t, testregistry.Options{Wrap: tp.wrap})
	publish(t, e)
	e.install("my-rules:1.2.0")
	before := snapshot(t, e.root+"/etc")
	beforePlugins := snapshot(t, e.root+"/usr")
	if len(before) == 0 || len(beforePlugins) == 0 {
		t.Fatal("nothing installed to compare against")
	}
	src := t.TempDir()
	pushTar := func(repo string, entries ...tarEntry) string {
		ref := e.reg.Ref(repo, "1.0.0")
		e.push(ref, makeTarGz(t, filepath.Join(src, repo, "bad.tar.gz"), entries...), "--type", "rulesfile", "--version", "1.0.0")
		return ref
	}
	file := func(name, body string) tarEntry {
		return tarEntry{hdr: tar.Header{Name: name, Typeflag: tar.TypeReg}, body: body}
	}
	cases := []struct {
		name string
		want string
		args func() []string
	}{
		{"unknown artifact", "not found in any index", func() []string { return []string{"no-such-artifact"} }},
		{"unreachable registry", "registry unreachable", func() []string { return []string{"127.0.0.1:1/rules/x:1.0.0"} }},
		{"404 repository", "not found", func() []string { return []string{e.reg.Ref("no/such-repo", "1.0.0")} }},
		{"404 tag", "no such tag", func() []string { return []string{"my-rules:notatag"} }},
		{"no matching version", "(available: 1.2.5, 1.2.0)", func() []string { return []string{"my-rules:^9"} }},
		{"invalid semver", "neither a tag nor a semver constraint", func() []string { return []string{"my-rules:>=bogus"} }},
		{"type not allowed", "artifact type not allowed", func() []string { return []string{"myplugin:1.0.0", "--allowed-types", "rulesfile,asset"} }},
		{"missing platform", "no manifest for platform linux/s390x (available: ", func() []string { return []string{"myplugin", "--platform", "linux/s390x"} }},
		{"requirement unmet", "requirement not met: needs engine_version_semver 0.99.0", func() []string {
			ref := e.reg.Ref("rules/future", "1.0.0")
			e.push(ref, writeFile(t, filepath.Join(src, "future.yaml"), "- required_engine_version: 0.99.0\n"), "--type", "rulesfile", "--version", "1.0.0")
			return []string{ref}
		}},
		{"digest mismatch", "digest mismatch", func() []string {
			ref := e.reg.Ref("rules/tampered", "1.0.0")
			e.push(ref, writeFile(t, filepath.Join(src, "tampered.yaml"), strings.Repeat("- list: l\n  items: []\n", 50)), "--type", "rulesfile", "--version", "1.0.0")
			tp.digest.Store(layerDigest(t, e, ref))
			return []string{ref}
		}},
		{"dot-dot path", "escapes the destination with", func() []string {
			return []string{pushTar("bad/dotdot", file("ok.yaml", "ok"), file("../../evil.yaml", "evil"))}
		}},
		{"absolute path", "is an absolute path", func() []string {
			return []string{pushTar("bad/abs", file("/tmp/evil.yaml", "evil"))}
		}},
		{"symlink escape", "is a link", func() []string {
			return []string{pushTar("bad/symlink",
				tarEntry{hdr: tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "../../../../etc"}},
				file("link/evil.yaml", "evil"))}
		}},
		{"hardlink escape", "is a link", func() []string {
			return []string{pushTar("bad/hardlink", tarEntry{hdr: tar.Header{Name: "passwd", Typeflag: tar.TypeLink, Linkname: "/etc/passwd"}})}
		}},
		{"device file", "is a device or FIFO", func() []string {
			return []string{pushTar("bad/device", tarEntry{hdr: tar.Header{Name: "null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}})}
		}},
		{"oversized entry", "over the 536870912-byte limit per file", func() []string {
			return []string{pushTar("bad/huge", tarEntry{hdr: tar.Header{Name: "huge.yaml", Typeflag: tar.TypeReg}, body: "x", declared: 1 << 40})}
		}},
		{"not gzip", "not gzip-compressed", func() []string {
			ref := e.reg.Ref("bad/notgz", "1.0.0")
			e.push(ref, writeFile(t, filepath.Join(src, "plain.tar.gz"), "\x1f\x8bthis is not gzip"), "--type", "rulesfile", "--version", "1.0.0")
			return []string{ref}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			e.installFails(c.want, c.args()...)
			sameSnapshot(t, c.name, before, snapshot(t, e.root+"/etc"))
			sameSnapshot(t, c.name, beforePlugins, snapshot(t, e.root+"/usr"))
		})
	}
	e.t = t
	// --force overrides an unmet requirement.
	e.install(e.reg.Ref("rules/future", "1.0.0"), "--force")
}

func layerDigest(t *testing.T, e *env, ref string) string {
	t.Helper()
	var m struct {
		Layers []struct {
			Digest string `json:"digest"`
		} `json:"layers"`
	}
	if err := json.Unmarshal([]byte(e.ok(append([]string{"artifact", "manifest", ref}, e.transport...)...)), &m); err != nil || len(m.Layers) != 1 {
		t.Fatalf("manifest of %s: %v", ref, err)
	}
	return m.Layers[0].Digest
}

func TestUnauthorizedRegistry(t *testing.T) {
	e := newEnv(t, testregistry.Options{Users: map[string]string{"bob": "pw"}})
	// Install with credentials, then lose them: the 401 leaves the
	// installed files alone.
	e.stdin = "bob\npw\n"
	e.ok(append([]string{"registry", "auth", "basic", e.reg.Host}, e.transport...)...)
	ref := e.reg.Ref("rules/x", "1.0.0")
	e.push(ref, writeFile(t, filepath.Join(t.TempDir(), "x.yaml"), "- list: x\n"), "--type", "rulesfile", "--version", "1.0.0")
	e.install(ref)
	before := snapshot(t, e.root+"/etc")
	if err := os.Remove(filepath.Join(e.state, "creds.json")); err != nil {
		t.Fatal(err)
	}
	e.installFails("unauthorized", ref)
	sameSnapshot(t, "401", before, snapshot(t, e.root+"/etc"))
	e.fails("unauthorized", append([]string{"registry", "push", e.reg.Ref("rules/x", "1.0.0"),
		writeFile(t, filepath.Join(t.TempDir(), "r.yaml"), "[]\n"), "--type", "rulesfile", "--version", "1.0.0"}, e.transport...)...)
}

func TestBadPushInputs(t *testing.T) {
	e := newEnv(t, testregistry.Options{})
	f := writeFile(t, filepath.Join(t.TempDir(), "r.yaml"), "[]\n")
	ref := e.reg.Ref("rules/x", "1.0.0")
	e.fails("want a semver version", append([]string{"registry", "push", ref, f, "--type", "rulesfile", "--version", "1.2"}, e.transport...)...)
	e.fails("want rulesfile, plugin, asset or driver", append([]string{"registry", "push", ref, f, "--type", "kmod", "--version", "1.0.0"}, e.transport...)...)
	e.fails("give one platform per file", append([]string{"registry", "push", ref, f, f, "--type", "plugin", "--version", "1.0.0", "--platform", "linux/amd64"}, e.transport...)...)
	e.fails("--depends-on", append([]string{"registry", "push", ref, f, "--type", "rulesfile", "--version", "1.0.0", "--depends-on", "k8saudit"}, e.transport...)...)
	e.fails("not a Falco rules file", append([]string{"registry", "push", ref, writeFile(t, filepath.Join(t.TempDir(), "bad.yaml"), "{not: [valid"), "--type", "rulesfile", "--version", "1.0.0"}, e.transport...)...)
}

// TestRetriesRateLimits checks that 429 answers with Retry-After are
// retried rather than failing the install.
func TestRetriesRateLimits(t *testing.T) {
	var mu sync.Mutex
	limited := 0
	var limit atomic.Bool
	e := newEnv(t, testregistry.Options{Wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hit := limit.Load() && limited < 2 && r.Method == http.MethodGet
			if hit {
				limited++
			}
			mu.Unlock()
			if hit {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			h.ServeHTTP(w, r)
		})
	}})
	publish(t, e)
	limit.Store(true)
	e.install("my-rules:1.2.0", "--resolve-deps=false")
	if limited != 2 {
		t.Fatalf("%d requests rate-limited, want 2", limited)
	}
	var buf bytes.Buffer
	buf.WriteString(readFile(t, filepath.Join(e.rules, "my_rules.yaml")))
	if buf.String() != rulesV1 {
		t.Fatal("rules not installed after rate limiting")
	}
}
