package artifact_test

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/testregistry"
)

func pushPlugin(t *testing.T, e *env, version string) {
	t.Helper()
	so := writeFile(t, filepath.Join(t.TempDir(), "libmyplugin.so"), "myplugin "+version)
	e.push(e.reg.Ref("plugins/myplugin", version), so, "--type", "plugin", "--version", version,
		"--platform", runtime.GOOS+"/"+runtime.GOARCH)
}

func TestDependencyResolution(t *testing.T) {
	e := newEnv(t, testregistry.Options{})
	publish(t, e)
	pushPlugin(t, e, "1.1.0")
	pushPlugin(t, e, "2.0.0")
	plugin := filepath.Join(e.plugins, "libmyplugin.so")

	// The highest compatible version (same major) is chosen: 1.1.0, not 2.0.0.
	out := e.install("my-rules:1.2.0")
	if got := readFile(t, plugin); got != "myplugin 1.1.0" {
		t.Fatalf("dependency installed %q, want myplugin 1.1.0\n%s", got, out)
	}
	if st := e.installed(); st["myplugin"].Version != "1.1.0" {
		t.Fatalf("state: %+v", st["myplugin"])
	}

	// An installed newer compatible version is kept, not downgraded.
	e.ok("artifact", "uninstall", "my-rules", "myplugin")
	e.install("myplugin:1.1.0")
	e.install("my-rules:1.2.0")
	if got := readFile(t, plugin); got != "myplugin 1.1.0" {
		t.Fatalf("installed dependency changed to %q", got)
	}

	// Alternatives: the first name is in no index, the alternative is.
	e.ok("artifact", "uninstall", "myplugin")
	src := t.TempDir()
	alt := e.reg.Ref("rules/alt", "1.0.0")
	e.push(alt, writeFile(t, filepath.Join(src, "alt.yaml"), "[]\n"), "--type", "rulesfile", "--version", "1.0.0",
		"--depends-on", "nosuchplugin:1.0.0|myplugin:1.0.0")
	e.install(alt)
	if got := readFile(t, plugin); got != "myplugin 1.1.0" {
		t.Fatalf("alternative not installed: %q", got)
	}

	// Built-in plugins are never downloaded; --resolve-deps=false skips
	// dependencies.
	e.ok("artifact", "uninstall", "myplugin")
	_, errOut, code := e.run(append([]string{"artifact", "install", "my-rules:1.2.0", "--resolve-deps=false"}, e.transport...)...)
	if code != 0 || len(e.installed()) != 2 /* my-rules + alt */ {
		t.Fatalf("--resolve-deps=false: exit %d, state %+v\n%s", code, e.installed(), errOut)
	}

	// A dependency of a type outside --allowed-types fails the install.
	e.installFails("dependency myplugin of my-rules", "my-rules:1.2.5", "--allowed-types", "rulesfile")

	// The config carries the dependencies read from the YAML.
	cfg := e.ok(append([]string{"artifact", "config", "my-rules:1.2.0"}, e.transport...)...)
	for _, want := range []string{`"name": "myplugin"`, `"name": "json"`, `"engine_version_semver"`, `"version": "0.10.0"`} {
		if !strings.Contains(cfg, want) {
			t.Errorf("artifact config lacks %s:\n%s", want, cfg)
		}
	}
	e.fails("artifact not installed", "artifact", "uninstall", "uninstall-me")
}
