package index_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sakersec/saker/cmd"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/internal/testutil"
)

// cliEnv is one user's machine: a configuration file, an environment and
// a state directory, kept across commands.
type cliEnv struct {
	config   string
	stateDir string
	env      map[string]string
}

func newCLIEnv(t *testing.T, configYAML string) *cliEnv {
	t.Helper()
	dir := t.TempDir()
	e := &cliEnv{config: filepath.Join(dir, "sakerctl.yaml"), stateDir: filepath.Join(dir, "state"), env: map[string]string{}}
	if err := os.WriteFile(e.config, []byte(configYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	e.env["FALCOCTL_ARTIFACT_INSTALL_STATEDIR"] = e.stateDir
	return e
}

func (e *cliEnv) run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := cli.NewFactory()
	f.IO = cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	f.Options.ConfigFile = e.config
	f.Getenv = func(k string) string { return e.env[k] }
	code = cmd.Execute(context.Background(), f, args)
	return out.String(), errOut.String(), code
}

func (e *cliEnv) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := e.run(t, args...)
	if code != 0 {
		t.Fatalf("sakerctl %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func writeIndex(t *testing.T, names ...string) string {
	t.Helper()
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "- name: %s\n  type: rulesfile\n  registry: registry.test\n  repository: rules/%s\n", n, n)
	}
	p := filepath.Join(t.TempDir(), "index.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type listRow struct {
	Name            string  `json:"name"`
	URL             string  `json:"url"`
	Backend         string  `json:"backend"`
	Origin          string  `json:"origin"`
	Source          string  `json:"source"`
	OverridesConfig bool    `json:"overridesConfig"`
	UpdatedAt       *string `json:"updatedAt"`
	Entries         int     `json:"entries"`
}

func (e *cliEnv) list(t *testing.T) []listRow {
	t.Helper()
	var rows []listRow
	out := e.mustRun(t, "index", "list", "-o", "json")
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("index list -o json: %v\n%s", err, out)
	}
	return rows
}

func TestIndexLifecycle(t *testing.T) {
	var hits, notModified atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"1"` {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		hits.Add(1)
		w.Header().Set("ETag", `"1"`)
		fmt.Fprint(w, "- name: remote-rules\n  type: rulesfile\n  registry: r.test\n  repository: x/remote-rules\n")
	}))
	t.Cleanup(srv.Close)
	local := writeIndex(t, "alpha", "beta")
	e := newCLIEnv(t, fmt.Sprintf("indexes:\n  - name: fromconfig\n    url: %s/index.yaml\n", srv.URL))

	// list before anything is fetched shows the configured index.
	rows := e.list(t)
	if len(rows) != 1 || rows[0].Name != "fromconfig" || rows[0].Origin != "config" || rows[0].UpdatedAt != nil {
		t.Fatalf("initial list %+v", rows)
	}
	out := e.mustRun(t, "index", "add", "local", "file://"+local)
	if !strings.Contains(out, `Index "local" added`) || !strings.Contains(out, "2 artifacts") {
		t.Fatalf("add: %s", out)
	}
	out = e.mustRun(t, "index", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[2], "local") || !strings.Contains(lines[2], "added") {
		t.Fatalf("list table:\n%s", out)
	}
	// Columns are aligned: every row starts its URL where the header's URL starts.
	col := strings.Index(lines[0], "URL")
	for _, l := range lines[1:] {
		if len(l) <= col || l[col-1] != ' ' || l[col] == ' ' {
			t.Fatalf("misaligned row %q (URL column at %d)", l, col)
		}
	}
	out = e.mustRun(t, "index", "update")
	if !strings.Contains(out, `Index "fromconfig" updated (1 artifacts)`) || !strings.Contains(out, `Index "local" updated (2 artifacts)`) {
		t.Fatalf("update: %s", out)
	}
	out = e.mustRun(t, "index", "update", "fromconfig")
	if !strings.Contains(out, "up to date") || notModified.Load() != 1 || hits.Load() != 1 {
		t.Fatalf("second update: %s (200s %d, 304s %d)", out, hits.Load(), notModified.Load())
	}
	rows = e.list(t)
	if rows[0].UpdatedAt == nil || rows[0].Entries != 1 || rows[1].Entries != 2 {
		t.Fatalf("list after update %+v", rows)
	}

	// Re-adding with another URL says so.
	other := writeIndex(t, "gamma")
	out = e.mustRun(t, "index", "add", "local", other, "file")
	if !strings.Contains(out, "URL changed from file://"+local+" to file://"+other) {
		t.Fatalf("re-add: %s", out)
	}
	// Overriding the configured index, then restoring it.
	out = e.mustRun(t, "index", "add", "fromconfig", "file://"+local)
	if !strings.Contains(out, "replaces the index \"fromconfig\" of the configuration file") {
		t.Fatalf("override: %s", out)
	}
	if rows = e.list(t); len(rows) != 2 || rows[0].Source != "added (overrides config)" {
		t.Fatalf("list with override %+v", rows)
	}
	out = e.mustRun(t, "index", "remove", "fromconfig", "local")
	if !strings.Contains(out, `Index "local" removed`) || !strings.Contains(out, "in effect again") {
		t.Fatalf("remove: %s", out)
	}
	if rows = e.list(t); len(rows) != 1 || rows[0].Origin != "config" {
		t.Fatalf("after remove %+v", rows)
	}
}

func TestIndexErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("- name: a\n  type: plugin\n  registry: r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL + "/index.yaml"
	down.Close()
	e := newCLIEnv(t, "indexes:\n  - name: cfg\n    url: file:///nonexistent/index.yaml\n")
	tests := []struct {
		args []string
		says string
	}{
		{[]string{"index", "add", "x", "file://" + bad}, bad + ":1: entry \"a\": missing repository"},
		{[]string{"index", "add", "x", downURL}, "connection refused"},
		{[]string{"index", "add", "x", "ftp://example.com/i.yaml"}, `scheme "ftp" is not supported`},
		{[]string{"index", "add", "x", "https://example.com/i.yaml", "gcs"}, `backend "gcs" is not supported`},
		{[]string{"index", "add", "x"}, "accepts between 2 and 3 arg(s)"},
		{[]string{"index", "remove", "nope"}, `index "nope": unknown index (known: cfg)`},
		{[]string{"index", "remove", "cfg"}, "index \"cfg\": index comes from the configuration file " + e.config + ": sakerctl does not rewrite it"},
		{[]string{"index", "update", "nope"}, "unknown index"},
		{[]string{"index", "update", "cfg", "--all"}, "not both"},
		{[]string{"index", "update"}, "1 of 1 indexes could not be updated"},
		{[]string{"index", "list", "-o", "yaml"}, "want text or json"},
	}
	for _, tt := range tests {
		_, errOut, code := e.run(t, tt.args...)
		if code == 0 || !strings.Contains(errOut, tt.says) {
			t.Errorf("sakerctl %s: exit %d, stderr %q, want it to say %q", strings.Join(tt.args, " "), code, errOut, tt.says)
		}
	}
	// Nothing was saved by the failed adds.
	if rows := e.list(t); len(rows) != 1 {
		t.Fatalf("failed adds left indexes: %+v", rows)
	}
	if _, err := os.Stat(filepath.Join(e.stateDir, "indexes.yaml")); !os.IsNotExist(err) {
		t.Fatalf("state store written by failed commands: %v", err)
	}
}

func TestIndexFromEnvironment(t *testing.T) {
	local := writeIndex(t, "alpha")
	e := newCLIEnv(t, "")
	e.env["FALCOCTL_INDEXES"] = "envidx,file://" + local
	rows := e.list(t)
	if len(rows) != 1 || rows[0].Name != "envidx" || rows[0].Backend != "file" {
		t.Fatalf("FALCOCTL_INDEXES not used: %+v", rows)
	}
	if rows[0].Origin != "env" {
		t.Fatalf("origin %q, want env", rows[0].Origin)
	}
	_, errOut, code := e.run(t, "index", "remove", "envidx")
	if code == 0 || !strings.Contains(errOut, "set by the environment variable FALCOCTL_INDEXES") {
		t.Fatalf("remove of an env index: exit %d %s", code, errOut)
	}
	e.mustRun(t, "index", "add", "envidx", "file://"+local)
	if rows = e.list(t); rows[0].Source != "added (overrides env)" {
		t.Fatalf("override of an env index: %+v", rows)
	}
	e.env["FALCOCTL_INDEXES"] = "broken"
	_, errOut, code = e.run(t, "index", "list")
	if code == 0 || !strings.Contains(errOut, "FALCOCTL_INDEXES") || !strings.Contains(errOut, "missing url") {
		t.Fatalf("bad FALCOCTL_INDEXES: exit %d %s", code, errOut)
	}
}

func TestIndexAddUpstream(t *testing.T) {
	up := testutil.Upstream(t, "falcosecurity-index.yaml")
	e := newCLIEnv(t, "")
	out := e.mustRun(t, "index", "add", "falcosecurity", up, "file")
	if !strings.Contains(out, "(28 artifacts)") {
		t.Fatalf("add upstream: %s", out)
	}
}

func TestIndexAddHTTPSWithCustomCA(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "- name: tls-rules\n  type: rulesfile\n  registry: r.test\n  repository: x/tls-rules\n")
	}))
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newCLIEnv(t, "")
	if _, errOut, code := e.run(t, "index", "add", "tls", srv.URL+"/index.yaml"); code == 0 || !strings.Contains(errOut, "certificate") {
		t.Fatalf("untrusted server accepted: exit %d %s", code, errOut)
	}
	if out := e.mustRun(t, "index", "add", "tls", srv.URL+"/index.yaml", "--ca-file", ca); !strings.Contains(out, "(1 artifacts)") {
		t.Fatalf("--ca-file: %s", out)
	}
	// The configuration's registry.tls.caFile applies to indexes too.
	e2 := newCLIEnv(t, "registry:\n  tls:\n    caFile: "+ca+"\n")
	e2.mustRun(t, "index", "add", "tls", srv.URL+"/index.yaml")
	e3 := newCLIEnv(t, "")
	e3.env["FALCOCTL_REGISTRY_TLS_INSECURESKIPVERIFY"] = "true"
	e3.mustRun(t, "index", "add", "tls", srv.URL+"/index.yaml")
	out, _, code := e3.run(t, "artifact", "search", "tls", "-o", "json")
	if code != 0 || !strings.Contains(out, `"name": "tls-rules"`) {
		t.Fatalf("search over the added https index: %s", out)
	}
}
