package artifact_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/sakersec/saker/internal/config"
	"github.com/sakersec/saker/internal/testregistry"
)

// With no index configured, `artifact install NAME` resolves the name
// through falcoctl's default index, as falcoctl does.
func TestInstallByNameThroughDefaultIndex(t *testing.T) {
	e := newEnv(t, testregistry.Options{})
	src := t.TempDir()
	e.push(e.reg.Ref("rules/default-rules", "1.0.0"), writeFile(t, filepath.Join(src, "default_rules.yaml"), "- list: d\n  items: []\n"),
		"--type", "rulesfile", "--version", "1.0.0", "--add-floating-tags")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "- name: default-rules\n  type: rulesfile\n  registry: %s\n  repository: rules/default-rules\n", e.reg.Host)
	}))
	t.Cleanup(srv.Close)
	old := config.DefaultIndexURL
	config.DefaultIndexURL = srv.URL + "/index.yaml"
	t.Cleanup(func() { config.DefaultIndexURL = old })

	e.install("default-rules:1")
	if _, err := os.Stat(filepath.Join(e.rules, "default_rules.yaml")); err != nil {
		t.Fatalf("not installed through the default index: %v", err)
	}

	// Without it, the name cannot be resolved, and the error says why.
	config.DefaultIndexURL = "http://127.0.0.1:1/index.yaml"
	e.installFails("the default index falcosecurity", "default-rules:1")
}
