package index_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sakersec/saker/internal/config"
)

// serveDefaultIndex serves an index at config.DefaultIndexURL for the
// test and counts the requests.
func serveDefaultIndex(t *testing.T, names ...string) *atomic.Int32 {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		for _, n := range names {
			fmt.Fprintf(w, "- name: %s\n  type: rulesfile\n  registry: r.test\n  repository: rules/%s\n  keywords: [default]\n", n, n)
		}
	}))
	t.Cleanup(srv.Close)
	old := config.DefaultIndexURL
	config.DefaultIndexURL = srv.URL + "/falcoctl/index.yaml"
	t.Cleanup(func() { config.DefaultIndexURL = old })
	return &hits
}

// With no index configured or added, falcoctl's default index is in
// effect: listed, searched, and replaced by the first index added.
func TestDefaultIndexWhenNoneConfigured(t *testing.T) {
	hits := serveDefaultIndex(t, "falco-rules", "k8saudit-rules")
	e := newCLIEnv(t, "artifact:\n  allowedTypes: [rulesfile]\n")

	rows := e.list(t)
	if len(rows) != 1 || rows[0].Name != "falcosecurity" || rows[0].URL != config.DefaultIndexURL ||
		rows[0].Backend != "https" || rows[0].Origin != "default" || rows[0].UpdatedAt != nil {
		t.Fatalf("index list with nothing configured: %+v", rows)
	}
	out, errOut, code := e.run(t, "index", "list")
	if code != 0 || !strings.Contains(out, "falcosecurity") || !strings.Contains(errOut, "default index") ||
		!strings.Contains(errOut, "index remove falcosecurity") {
		t.Fatalf("index list table: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if hits.Load() != 0 {
		t.Fatalf("index list fetched the default index (%d requests)", hits.Load())
	}

	out = e.mustRun(t, "artifact", "search", "k8saudit")
	if !strings.Contains(out, "falcosecurity") || !strings.Contains(out, "k8saudit-rules") {
		t.Fatalf("search through the default index:\n%s", out)
	}
	if rows := e.list(t); rows[0].UpdatedAt == nil || rows[0].Entries != 2 {
		t.Fatalf("the default index was not cached: %+v", rows)
	}
	out = e.mustRun(t, "artifact", "list")
	if !strings.Contains(out, "r.test/rules/falco-rules") {
		t.Fatalf("artifact list through the default index:\n%s", out)
	}

	// Adding an index replaces the default, and says so.
	local := writeIndex(t, "mine")
	out = e.mustRun(t, "index", "add", "mine", "file://"+local)
	if !strings.Contains(out, `default index "falcosecurity" is no longer in effect`) {
		t.Fatalf("add over the default:\n%s", out)
	}
	if rows := e.list(t); len(rows) != 1 || rows[0].Name != "mine" {
		t.Fatalf("list after add: %+v", rows)
	}
	// Removing it brings the default back.
	out = e.mustRun(t, "index", "remove", "mine")
	if !strings.Contains(out, "in effect again") {
		t.Fatalf("remove of the last added index:\n%s", out)
	}
	if rows := e.list(t); len(rows) != 1 || rows[0].Origin != "default" {
		t.Fatalf("list after removing the added index: %+v", rows)
	}
	// Adding the default's own name (a mirror, say) keeps that name.
	out = e.mustRun(t, "index", "add", "falcosecurity", "file://"+local)
	if strings.Contains(out, "no longer in effect") {
		t.Fatalf("adding the default's name says the default is replaced:\n%s", out)
	}
	if rows := e.list(t); len(rows) != 1 || rows[0].Name != "falcosecurity" || rows[0].Origin != "added" {
		t.Fatalf("list after adding falcosecurity: %+v", rows)
	}
}

// `index remove falcosecurity` turns the default off for good, as falcoctl
// does once it is removed from its configuration; adding it back works.
func TestRemoveDefaultIndex(t *testing.T) {
	serveDefaultIndex(t, "falco-rules")
	e := newCLIEnv(t, "")
	e.mustRun(t, "index", "update")
	out := e.mustRun(t, "index", "remove", "falcosecurity")
	if !strings.Contains(out, `Default index "falcosecurity" removed`) {
		t.Fatalf("remove default:\n%s", out)
	}
	if rows := e.list(t); len(rows) != 0 {
		t.Fatalf("list after removing the default: %+v", rows)
	}
	_, errOut, _ := e.run(t, "index", "list")
	if !strings.Contains(errOut, "was removed") {
		t.Fatalf("list does not say the default was removed:\n%s", errOut)
	}
	_, errOut, code := e.run(t, "artifact", "search", "falco")
	if code == 0 || !strings.Contains(errOut, "no index in effect") {
		t.Fatalf("search with the default removed: exit %d\n%s", code, errOut)
	}
	_, errOut, code = e.run(t, "artifact", "info", "falco-rules")
	if code == 0 || !strings.Contains(errOut, "default index falcosecurity was removed") {
		t.Fatalf("info with the default removed: exit %d\n%s", code, errOut)
	}
	// Adding an index and removing it again leaves the default off.
	local := writeIndex(t, "mine")
	e.mustRun(t, "index", "add", "mine", "file://"+local)
	e.mustRun(t, "index", "remove", "mine")
	if rows := e.list(t); len(rows) != 0 {
		t.Fatalf("the removed default came back: %+v", rows)
	}
	// Adding it by name brings it back, as an added index.
	e.mustRun(t, "index", "add", "falcosecurity", config.DefaultIndexURL)
	if rows := e.list(t); len(rows) != 1 || rows[0].Name != "falcosecurity" || rows[0].Origin != "added" {
		t.Fatalf("list after adding the default back: %+v", rows)
	}
	if _, _, code := e.run(t, "index", "remove", "nosuch"); code == 0 {
		t.Fatal("remove of an unknown index succeeded")
	}
}

// Any configured index, from the file or the environment, and an explicit
// empty list (what falcoctl writes once its last index is removed) leave
// the default out.
func TestDefaultIndexNotWhenConfigured(t *testing.T) {
	hits := serveDefaultIndex(t, "falco-rules")
	local := writeIndex(t, "alpha")
	for name, tc := range map[string]struct {
		config string
		env    string
		want   []string
	}{
		"config":      {config: "indexes:\n  - name: mine\n    url: file://" + local + "\n", want: []string{"mine"}},
		"environment": {env: "mine,file://" + local, want: []string{"mine"}},
		"empty list":  {config: "indexes: []\n"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newCLIEnv(t, tc.config)
			if tc.env != "" {
				e.env["FALCOCTL_INDEXES"] = tc.env
			}
			var got []string
			for _, r := range e.list(t) {
				got = append(got, r.Name)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("index list: %v, want %v", got, tc.want)
			}
			e.run(t, "artifact", "search", "falco")
		})
	}
	if hits.Load() != 0 {
		t.Fatalf("the default index was fetched %d times though an index was configured", hits.Load())
	}
}

// A default index that cannot be fetched fails search and name lookups
// with an error that says how to use another index.
func TestDefaultIndexUnreachable(t *testing.T) {
	e := newCLIEnv(t, "") // TestMain points the default at a closed port.
	for _, args := range [][]string{{"artifact", "search", "falco"}, {"artifact", "info", "falco-rules"}, {"artifact", "list"}} {
		out, errOut, code := e.run(t, args...)
		if code == 0 {
			t.Fatalf("%s with the default index unreachable: exit 0\n%s", strings.Join(args, " "), out)
		}
		for _, want := range []string{"default index falcosecurity", "sakerctl index add NAME URL", "indexes in the configuration", "full OCI reference"} {
			if !strings.Contains(errOut, want) {
				t.Fatalf("%s: error does not say %q:\n%s", strings.Join(args, " "), want, errOut)
			}
		}
	}
}
