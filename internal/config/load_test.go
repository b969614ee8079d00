package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/testutil"
)

func TestLoadFalcoctlYAML(t *testing.T) {
	cfg, err := Load(filepath.Join(testutil.RepoRoot(), "testdata", "config", "falcoctl.yaml"))
	if err != nil {
		t.Fatalf("a falcoctl.yaml must load unchanged: %v", err)
	}
	wantIdx := []IndexConfig{
		{Name: "falcosecurity", URL: "https://falcosecurity.github.io/falcoctl/index.yaml", Backend: "https"},
		{Name: "internal", URL: "http://index.example.internal/index.yaml"},
	}
	if !reflect.DeepEqual(cfg.Indexes, wantIdx) {
		t.Errorf("indexes %+v", cfg.Indexes)
	}
	a := cfg.Artifact
	if !reflect.DeepEqual(a.AllowedTypes, []string{"rulesfile", "plugin"}) || !a.NoVerify {
		t.Errorf("artifact %+v", a)
	}
	if a.Install.ResolveDeps == nil || !*a.Install.ResolveDeps || a.Install.AssetsDir != "/etc/falco/assets" ||
		len(a.Install.Refs) != 2 {
		t.Errorf("install %+v", a.Install)
	}
	if a.Follow.Every != "6h0m0s" || a.Follow.FalcoVersions != "http://localhost:8765/versions" ||
		a.Follow.TmpDir != "/tmp/falcoctl-follow" || len(a.Follow.Refs) != 2 {
		t.Errorf("follow %+v", a.Follow)
	}
	r := cfg.Registry
	if r.Creds.Config != "/root/.config/falcoctl/config.json" ||
		!reflect.DeepEqual(r.Auth.Basic, []BasicAuth{{"registry.example.internal:5000", "falco", "s3cret"}}) ||
		len(r.Auth.OAuth) != 1 || r.Auth.OAuth[0].TokenURL != "https://auth.example.internal/token" ||
		!reflect.DeepEqual(r.Auth.GCP, []GCPAuth{{"europe-docker.pkg.dev"}}) {
		t.Errorf("registry %+v", r)
	}
}

func TestLoadMissingIsDefaults(t *testing.T) {
	cfg, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err != nil || !reflect.DeepEqual(cfg, &Config{}) {
		t.Fatalf("missing file: %+v, %v", cfg, err)
	}
}

func TestLoadErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		yaml string
		says string
	}{
		{"indexes:\n  - name: a\n    url: http://a\n  - name: b\n", ":4: indexes[1]: index \"b\": missing url"},
		{"indexes:\n  - name: a\n    url: http://a\n  - name: a\n    url: http://b\n", ":4: indexes[1].name"},
		{"indexes:\n  - url: http://a\n", ":2: indexes[0]: missing name"},
		{"indexes:\n  - name: a\n    url: http://a\n    backend: gcs\n", ":4: indexes[0].backend"},
		{"artifact:\n  follow:\n    every: sometimes\n", ":3: artifact.follow.every"},
		{"artifact:\n  install:\n    refs: {a: b}\n", "line 3"},
		{"- just\n- a list\n", ":1: the configuration must be a YAML mapping"},
		{"indexes: [\n", "yaml"},
	}
	for _, tt := range tests {
		p := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(p, []byte(tt.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p)
		if err == nil {
			t.Errorf("%q: no error", tt.yaml)
			continue
		}
		if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%q: error %q should name the file and say %q", tt.yaml, err, tt.says)
		}
	}
}

func FuzzLoadConfig(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "testdata", "config", "falcoctl.yaml")); err == nil {
		f.Add(data)
	}
	f.Add([]byte("indexes:\n  - name: a\n    url: http://a\n"))
	f.Add([]byte("artifact: {follow: {every: 1h}}"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// What loads must be valid and survive the environment layer.
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid config: %v", err)
		}
		if err := ApplyEnv(cfg, func(string) string { return "" }); err != nil {
			t.Fatalf("ApplyEnv with an empty environment: %v", err)
		}
	})
}
