package artifact_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/testregistry"
	"github.com/sakersec/saker/internal/testutil"
)

// publishK8sAudit lays out k8saudit-rules, k8saudit and json as the public
// falcosecurity index does (same repository paths, the rulesfile carrying
// the real k8s_audit_rules.yaml with its required_plugin_versions) and
// adds an index naming them.
func publishK8sAudit(t *testing.T, e *env) {
	t.Helper()
	data, err := os.ReadFile(testutil.Upstream(t, "rules/k8s_audit_rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	rules := writeFile(t, filepath.Join(src, "k8s_audit_rules.yaml"), string(data))
	host := runtime.GOOS + "/" + runtime.GOARCH
	for _, p := range []struct{ name, version string }{{"k8saudit", "0.18.1"}, {"json", "0.7.3"}} {
		so := writeFile(t, filepath.Join(src, p.name, "host", "lib"+p.name+".so"), p.name+" for "+host)
		other := writeFile(t, filepath.Join(src, p.name, "other", "lib"+p.name+".so"), p.name+" for other")
		e.push(e.reg.Ref("falcosecurity/plugins/plugin/"+p.name, p.version), so, other, "--type", "plugin",
			"--version", p.version, "--platform", host, "--platform", "linux/"+otherArch(), "--add-floating-tags",
			"--requires", "plugin_api_version:3.0.0")
	}
	e.push(e.reg.Ref("falcosecurity/plugins/ruleset/k8saudit", "0.11.0"), rules, "--type", "rulesfile",
		"--version", "0.11.0", "--add-floating-tags")
	var idx strings.Builder
	for _, en := range []struct{ name, typ, repo string }{
		{"k8saudit-rules", "rulesfile", "falcosecurity/plugins/ruleset/k8saudit"},
		{"k8saudit", "plugin", "falcosecurity/plugins/plugin/k8saudit"},
		{"json", "plugin", "falcosecurity/plugins/plugin/json"},
	} {
		idx.WriteString("- name: " + en.name + "\n  type: " + en.typ + "\n  registry: " + e.reg.Host +
			"\n  repository: " + en.repo + "\n  description: " + en.name + "\n  keywords: [audit]\n")
	}
	e.ok("index", "add", "falcosecurity", "file://"+writeFile(t, filepath.Join(src, "index.yaml"), idx.String()))
}

// Installing k8saudit-rules brings its plugin dependencies, as falcoctl
// does, so the same layout serves Falco; Saker's sensor serves k8saudit and
// json built-in and loads the installed rules as they are.
func TestInstallK8sAuditRulesWithPluginDependencies(t *testing.T) {
	e := newEnv(t, testregistry.Options{})
	publishK8sAudit(t, e)

	out := e.install("k8saudit-rules:0.11")
	st := e.installed()
	for name, version := range map[string]string{"k8saudit-rules": "0.11.0", "k8saudit": "0.18.1", "json": "0.7.3"} {
		if st[name].Version != version {
			t.Errorf("installed %s = %+v, want version %s\n%s", name, st[name], version, out)
		}
	}
	host := runtime.GOOS + "/" + runtime.GOARCH
	for _, p := range []string{"k8saudit", "json"} {
		if got := readFile(t, filepath.Join(e.plugins, "lib"+p+".so")); got != p+" for "+host {
			t.Errorf("plugin %s: got %q, want the %s build", p, got, host)
		}
	}
	rulesFile := filepath.Join(e.rules, "k8s_audit_rules.yaml")
	validate := e.ok("rules", "validate", rulesFile)
	for _, want := range []string{"OK (48 rules", "served built-in"} {
		if !strings.Contains(validate, want) {
			t.Errorf("rules validate of the installed file does not say %q:\n%s", want, validate)
		}
	}
}

// With --skip-builtin-plugins only the rulesfile lands: the sensor's
// built-in k8s_audit source satisfies the plugin requirements.
func TestInstallK8sAuditRulesSkippingBuiltinPlugins(t *testing.T) {
	e := newEnv(t, testregistry.Options{})
	publishK8sAudit(t, e)

	e.install("k8saudit-rules", "--skip-builtin-plugins")
	st := e.installed()
	if len(st) != 1 || st["k8saudit-rules"].Version != "0.11.0" {
		t.Fatalf("installed %+v, want only k8saudit-rules 0.11.0", st)
	}
	if _, err := os.Stat(filepath.Join(e.plugins, "libk8saudit.so")); !os.IsNotExist(err) {
		t.Fatalf("libk8saudit.so installed despite --skip-builtin-plugins (stat: %v)", err)
	}
}
