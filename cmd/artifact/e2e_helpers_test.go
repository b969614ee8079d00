package artifact_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sakersec/saker/cmd"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/internal/testregistry"
)

// env is a sakerctl installation in a temporary directory talking to one
// test registry.
type env struct {
	t       *testing.T
	reg     *testregistry.Registry
	root    string
	cfgFile string
	state   string
	rules   string
	plugins string
	assets  string
	// transport are the flags registry-facing commands need (e.g.
	// --plain-http).
	transport []string
	// stdin is the standard input of the next command.
	stdin string
}

func newEnv(t *testing.T, opts testregistry.Options) *env {
	t.Helper()
	reg := testregistry.New(t, opts)
	root := t.TempDir()
	e := &env{
		t: t, reg: reg, root: root,
		cfgFile: filepath.Join(root, "sakerctl.yaml"),
		state:   filepath.Join(root, "state"),
		rules:   filepath.Join(root, "etc", "falco"),
		plugins: filepath.Join(root, "usr", "share", "falco", "plugins"),
		assets:  filepath.Join(root, "etc", "falco", "assets"),
	}
	cfg := "artifact:\n  install:\n" +
		"    stateDir: " + e.state + "\n" +
		"    rulesfilesDir: " + e.rules + "\n" +
		"    pluginsDir: " + e.plugins + "\n" +
		"    assetsDir: " + e.assets + "\n"
	if opts.TLS {
		cfg += "registry:\n  tls:\n    caFile: " + reg.CAFile + "\n"
	} else {
		e.transport = []string{"--plain-http"}
	}
	writeFile(t, e.cfgFile, cfg)
	return e
}

// run executes sakerctl with args and returns stdout, stderr and the exit
// code.
func (e *env) run(args ...string) (string, string, int) {
	e.t.Helper()
	var out, errOut bytes.Buffer
	f := cli.NewFactory()
	f.IO = cli.IOStreams{In: strings.NewReader(e.stdin), Out: &out, ErrOut: &errOut}
	e.stdin = ""
	f.Options.ConfigFile = e.cfgFile
	f.Options.LogFormat = "text"
	f.Getenv = func(string) string { return "" }
	code := cmd.Execute(context.Background(), f, args)
	return out.String(), errOut.String(), code
}

// ok runs a command that must succeed.
func (e *env) ok(args ...string) string {
	e.t.Helper()
	out, errOut, code := e.run(args...)
	if code != 0 {
		e.t.Fatalf("sakerctl %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// fails runs a command that must fail with exactly one error line
// containing want.
func (e *env) fails(want string, args ...string) string {
	e.t.Helper()
	out, errOut, code := e.run(args...)
	if code == 0 {
		e.t.Fatalf("sakerctl %s: exit 0, want failure\nstdout: %s\nstderr: %s", strings.Join(args, " "), out, errOut)
	}
	var errLines []string
	for _, l := range strings.Split(strings.TrimSpace(errOut), "\n") {
		if strings.Contains(l, "level=ERROR") {
			errLines = append(errLines, l)
		}
	}
	if len(errLines) != 1 {
		e.t.Fatalf("sakerctl %s: want one error line, got %d:\n%s", strings.Join(args, " "), len(errLines), errOut)
	}
	if !strings.Contains(errLines[0], want) {
		e.t.Fatalf("sakerctl %s: error line does not say %q:\n%s", strings.Join(args, " "), want, errLines[0])
	}
	return errLines[0]
}

func (e *env) push(ref string, args ...string) {
	e.t.Helper()
	e.ok(append(append([]string{"registry", "push", ref}, args...), e.transport...)...)
}

func (e *env) install(args ...string) string {
	e.t.Helper()
	return e.ok(append(append([]string{"artifact", "install"}, args...), e.transport...)...)
}

func (e *env) installFails(want string, args ...string) string {
	e.t.Helper()
	return e.fails(want, append(append([]string{"artifact", "install"}, args...), e.transport...)...)
}

type record struct {
	Name    string   `json:"name"`
	Ref     string   `json:"ref"`
	Version string   `json:"version"`
	Digest  string   `json:"digest"`
	Type    string   `json:"type"`
	Files   []string `json:"files"`
}

func (e *env) installed() map[string]record {
	e.t.Helper()
	var recs []record
	if err := json.Unmarshal([]byte(e.ok("artifact", "list", "--installed", "-o", "json")), &recs); err != nil {
		e.t.Fatalf("artifact list --installed -o json: %v", err)
	}
	m := map[string]record{}
	for _, r := range recs {
		m[r.Name] = r
	}
	return m
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// snapshot returns every regular file under dir with its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			m[p] = string(b)
		} else if !d.IsDir() {
			m[p] = "<" + d.Type().String() + ">"
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return m
}

func sameSnapshot(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	var diffs []string
	for k, v := range before {
		if after[k] != v {
			diffs = append(diffs, "changed or removed: "+k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			diffs = append(diffs, "added: "+k)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Fatalf("%s: installed files changed:\n%s", what, strings.Join(diffs, "\n"))
	}
}

// tarEntry is one entry of a hand-made archive.
type tarEntry struct {
	hdr  tar.Header
	body string
	// declared overrides the size written in the header (to fake huge
	// entries); the body is written as is and the archive left unclosed.
	declared int64
}

func makeTarGz(t *testing.T, path string, entries ...tarEntry) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	truncated := false
	for _, en := range entries {
		h := en.hdr
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.Typeflag == tar.TypeReg || h.Typeflag == 0 {
			h.Size = int64(len(en.body))
			if en.declared > 0 {
				h.Size = en.declared
			}
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if en.body != "" {
			if _, err := tw.Write([]byte(en.body)); err != nil {
				t.Fatal(err)
			}
		}
		if en.declared > 0 {
			truncated = true
			break
		}
	}
	if !truncated {
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
	} else {
		_ = tw.Flush()
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
