package artifact_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/testregistry"
)

const rulesV1 = `- required_engine_version: 10
- required_plugin_versions:
  - name: myplugin
    version: 1.0.0
  - name: json
    version: 0.7.0
- rule: Demo
  desc: demo
  condition: evt.type = open
  output: demo %proc.name
  priority: WARNING
`

func otherArch() string {
	if runtime.GOARCH == "arm64" {
		return "amd64"
	}
	return "arm64"
}

// publish pushes myplugin 1.0.0 (two platforms) and my-rules 1.2.0 and
// 1.2.5 (with extra.yaml), writes an index and adds it.
func publish(t *testing.T, e *env) {
	t.Helper()
	src := t.TempDir()
	host := runtime.GOOS + "/" + runtime.GOARCH
	soHost := writeFile(t, filepath.Join(src, "host", "libmyplugin.so"), "plugin for "+host)
	soOther := writeFile(t, filepath.Join(src, "other", "libmyplugin.so"), "plugin for other")
	e.push(e.reg.Ref("plugins/myplugin", "1.0.0"), soHost, soOther, "--type", "plugin", "--version", "1.0.0",
		"--platform", host, "--platform", "linux/"+otherArch(), "--add-floating-tags", "--requires", "plugin_api_version:3.0.0")

	rules := writeFile(t, filepath.Join(src, "my_rules.yaml"), rulesV1)
	extra := writeFile(t, filepath.Join(src, "extra.yaml"), "- list: extra\n  items: []\n")
	for _, v := range []string{"1.2.0", "1.2.5"} {
		e.push(e.reg.Ref("rules/my-rules", v), rules, extra, "--type", "rulesfile", "--version", v, "--add-floating-tags")
	}
	idx := writeFile(t, filepath.Join(src, "index.yaml"), `- name: my-rules
  type: rulesfile
  registry: `+e.reg.Host+`
  repository: rules/my-rules
  description: demo rules
  home: https://example.org
  keywords: [demo]
  license: Apache-2.0
  maintainers: [{name: Demo, email: demo@example.org}]
  sources: [https://example.org]
- name: myplugin
  type: plugin
  registry: `+e.reg.Host+`
  repository: plugins/myplugin
  description: demo plugin
  home: https://example.org
  keywords: [demo]
  license: Apache-2.0
  maintainers: [{name: Demo, email: demo@example.org}]
  sources: [https://example.org]
`)
	e.ok("index", "add", "test", "file://"+idx)
}

func testEndToEnd(t *testing.T, e *env) {
	publish(t, e)

	out := e.ok("artifact", "search", "demo")
	if !strings.Contains(out, "my-rules") {
		t.Fatalf("search does not find my-rules:\n%s", out)
	}
	var info []struct {
		Versions []string `json:"versions"`
		Tags     []string `json:"tags"`
	}
	if err := json.Unmarshal([]byte(e.ok(append([]string{"artifact", "info", "my-rules", "-o", "json"}, e.transport...)...)), &info); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(info[0].Versions, ","); got != "1.2.5,1.2.0" {
		t.Fatalf("info versions %q, want 1.2.5,1.2.0 (semver-sorted, floating tags left out)", got)
	}
	if got := strings.Join(info[0].Tags, ","); got != "1.2.5,1.2.0,1,1.2" {
		t.Fatalf("info tags %q, want 1.2.5,1.2.0,1,1.2", got)
	}

	e.install("my-rules:^1.2")
	if got := readFile(t, filepath.Join(e.rules, "my_rules.yaml")); got != rulesV1 {
		t.Fatalf("installed my_rules.yaml differs:\n%s", got)
	}
	if got := readFile(t, filepath.Join(e.plugins, "libmyplugin.so")); got != "plugin for "+runtime.GOOS+"/"+runtime.GOARCH {
		t.Fatalf("dependency myplugin: wrong platform installed: %q", got)
	}
	st := e.installed()
	if st["my-rules"].Version != "1.2.5" || st["myplugin"].Version != "1.0.0" || len(st) != 2 {
		t.Fatalf("state after install: %+v", st)
	}
	if len(st["my-rules"].Files) != 2 || !strings.HasPrefix(st["my-rules"].Digest, "sha256:") {
		t.Fatalf("state record incomplete: %+v", st["my-rules"])
	}

	// A newer version without extra.yaml replaces the old one and removes
	// its stale file.
	src := t.TempDir()
	v2 := strings.Replace(rulesV1, "demo %proc.name", "demo v2 %proc.name", 1)
	e.push(e.reg.Ref("rules/my-rules", "1.3.0"), writeFile(t, filepath.Join(src, "my_rules.yaml"), v2),
		"--type", "rulesfile", "--version", "1.3.0", "--add-floating-tags")
	e.install("my-rules:^1.2")
	if got := readFile(t, filepath.Join(e.rules, "my_rules.yaml")); got != v2 {
		t.Fatalf("reinstall did not update my_rules.yaml:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(e.rules, "extra.yaml")); !os.IsNotExist(err) {
		t.Fatalf("stale extra.yaml of 1.2.5 not removed (err %v)", err)
	}
	if st := e.installed(); st["my-rules"].Version != "1.3.0" {
		t.Fatalf("state after reinstall: %+v", st["my-rules"])
	}

	e.ok("artifact", "uninstall", "my-rules")
	if _, err := os.Stat(filepath.Join(e.rules, "my_rules.yaml")); !os.IsNotExist(err) {
		t.Fatalf("uninstall left my_rules.yaml (err %v)", err)
	}
	if st := e.installed(); len(st) != 1 || st["myplugin"].Name == "" {
		t.Fatalf("state after uninstall: %+v", st)
	}
}

func TestEndToEndPlainHTTP(t *testing.T) {
	testEndToEnd(t, newEnv(t, testregistry.Options{}))
}

func TestEndToEndTLSAndBasicAuth(t *testing.T) {
	e := newEnv(t, testregistry.Options{TLS: true, Users: map[string]string{"alice": "s3cret"}})
	// Without credentials the registry refuses.
	e.fails("unauthorized", "artifact", "info", e.reg.Ref("rules/my-rules", ""))
	// A wrong password is refused at login and not saved.
	e.fails("unauthorized", "registry", "auth", "basic", e.reg.Host, "-u", "alice", "-p", "wrong")
	// Username and password from stdin, one per line.
	e.stdin = "alice\ns3cret\n"
	out := e.ok("registry", "auth", "basic", e.reg.Host)
	if strings.Contains(out, "s3cret") {
		t.Fatalf("auth output shows the password: %q", out)
	}
	creds := filepath.Join(e.state, "creds.json")
	fi, err := os.Stat(creds)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("credential store mode %v, want 0600", fi.Mode().Perm())
	}
	testEndToEnd(t, e)

	// Debug logs never show the password.
	_, errOut, code := e.run("--log-level", "debug", "artifact", "install", "my-rules:1.2.0", "--force")
	if code != 0 || strings.Contains(errOut, "s3cret") {
		t.Fatalf("debug install: exit %d, password in logs: %v\n%s", code, strings.Contains(errOut, "s3cret"), errOut)
	}
}
