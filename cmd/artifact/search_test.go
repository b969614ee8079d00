package artifact_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sakersec/saker/cmd"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/internal/testutil"
)

// runSearchCLI runs sakerctl with a configuration whose only index is the
// upstream falcosecurity index (file backend) and a private state dir.
func runSearchCLI(t *testing.T, configYAML string, args ...string) (string, string, int) {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "sakerctl.yaml")
	if err := os.WriteFile(cfgPath, []byte(configYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	f := cli.NewFactory()
	f.IO = cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	f.Options.ConfigFile = cfgPath
	env := map[string]string{"FALCOCTL_ARTIFACT_INSTALL_STATEDIR": filepath.Join(dir, "state")}
	f.Getenv = func(k string) string { return env[k] }
	code := cmd.Execute(context.Background(), f, args)
	return out.String(), errOut.String(), code
}

func upstreamConfig(t *testing.T) string {
	return "indexes:\n  - name: falcosecurity\n    url: file://" + testutil.Upstream(t, "falcosecurity-index.yaml") + "\n"
}

func TestSearchUpstreamTable(t *testing.T) {
	cfg := upstreamConfig(t)
	tests := []struct {
		args []string
		want []string // ARTIFACT column, in order
	}{
		{[]string{"k8saudit"}, []string{"k8saudit", "k8saudit-aks", "k8saudit-eks", "k8saudit-gke", "k8saudit-gke-rules", "k8saudit-ovh", "k8saudit-rules"}},
		{[]string{"cloudtrail"}, []string{"cloudtrail", "cloudtrail-rules"}},
		{[]string{"rules", "--type", "rulesfile"}, []string{"application-rules", "cloudtrail-rules", "falco-incubating-rules",
			"falco-rules", "falco-sandbox-rules", "gcpaudit-rules", "github-rules", "k8saudit-gke-rules", "k8saudit-rules", "okta-rules"}},
		{[]string{"k8saudit", "--type", "plugin"}, []string{"k8saudit", "k8saudit-aks", "k8saudit-eks", "k8saudit-gke", "k8saudit-ovh"}},
	}
	for _, tt := range tests {
		out, errOut, code := runSearchCLI(t, cfg, append([]string{"artifact", "search"}, tt.args...)...)
		if code != 0 {
			t.Fatalf("search %v: exit %d: %s", tt.args, code, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		header := strings.Fields(lines[0])
		if !reflect.DeepEqual(header, []string{"INDEX", "ARTIFACT", "TYPE", "REGISTRY", "REPOSITORY"}) {
			t.Fatalf("header %q", lines[0])
		}
		col := strings.Index(lines[0], "REPOSITORY")
		var got []string
		for _, l := range lines[1:] {
			fields := strings.Fields(l)
			if len(fields) != 5 || fields[0] != "falcosecurity" || fields[3] != "ghcr.io" {
				t.Fatalf("row %q", l)
			}
			if !strings.HasPrefix(l[col:], "falcosecurity/") {
				t.Fatalf("REPOSITORY column misaligned in %q", l)
			}
			got = append(got, fields[1])
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("search %v:\n got %v\nwant %v", tt.args, got, tt.want)
		}
	}
}

func TestSearchJSON(t *testing.T) {
	out, errOut, code := runSearchCLI(t, upstreamConfig(t), "artifact", "search", "cloudtrail", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var hits []struct {
		Index, Name, Type, Registry, Repository, Match string
	}
	if err := json.Unmarshal([]byte(out), &hits); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(hits) != 2 || hits[0].Name != "cloudtrail" || hits[0].Match != "name" || hits[1].Match != "prefix" ||
		hits[0].Index != "falcosecurity" || hits[0].Repository != "falcosecurity/plugins/plugin/cloudtrail" {
		t.Fatalf("hits %+v", hits)
	}
	out, _, code = runSearchCLI(t, upstreamConfig(t), "artifact", "search", "zzz-nothing", "-o", "json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("no match in JSON: exit %d %q", code, out)
	}
}

func TestSearchErrorsAndUnreachable(t *testing.T) {
	cfg := upstreamConfig(t)
	for _, tt := range []struct {
		cfg  string
		args []string
		says string
	}{
		{cfg, []string{"artifact", "search"}, "requires at least 1 arg"},
		{cfg, []string{"artifact", "search", "x", "--type", "rules"}, `--type "rules": want one of rulesfile, plugin, asset`},
		{cfg, []string{"artifact", "search", "x", "-o", "yaml"}, "want text or json"},
		{"indexes: []\n", []string{"artifact", "search", "x"}, "no index in effect"},
		// No indexes key: falcoctl's default index (unreachable in tests).
		{"", []string{"artifact", "search", "x"}, "the default index falcosecurity"},
	} {
		_, errOut, code := runSearchCLI(t, tt.cfg, tt.args...)
		if code == 0 || !strings.Contains(errOut, tt.says) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tt.args, code, errOut, tt.says)
		}
	}
	// An unreachable index is a warning; the others are still searched.
	both := cfg + "  - name: gone\n    url: http://127.0.0.1:1/index.yaml\n"
	out, errOut, code := runSearchCLI(t, both, "artifact", "search", "okta")
	if code != 0 || !strings.Contains(out, "okta-rules") || !strings.Contains(errOut, "index unavailable") || !strings.Contains(errOut, "gone") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}
