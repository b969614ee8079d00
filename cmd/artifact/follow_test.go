package artifact_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sakersec/saker/cmd"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/internal/testregistry"
)

// follow --once installs a new version, reports what changed in the
// rules, and leaves an up-to-date artifact alone.
func TestFollowOnce(t *testing.T) {
	e := newEnv(t, testregistry.Options{})
	src := t.TempDir()
	ref := e.reg.Ref("rules/followed", "latest")
	e.push(ref, writeFile(t, filepath.Join(src, "1", "followed_rules.yaml"), "- rule: A\n  condition: evt.type = open\n  output: a\n  priority: INFO\n  desc: a\n"),
		"--type", "rulesfile", "--version", "1.0.0")
	if out := e.ok("artifact", "follow", "--once", ref, "--plain-http"); !strings.Contains(out, "updated rulesfile followed to 1.0.0") {
		t.Fatalf("first follow: %s", out)
	}
	if out := e.ok("artifact", "follow", "--once", ref, "--plain-http"); out != "" {
		t.Errorf("follow of an up-to-date artifact printed %q", out)
	}
	e.push(ref, writeFile(t, filepath.Join(src, "2", "followed_rules.yaml"),
		"- rule: A\n  condition: evt.type = open\n  output: a\n  priority: INFO\n  desc: a\n- rule: B\n  condition: evt.type = openat\n  output: b\n  priority: INFO\n  desc: b\n"),
		"--type", "rulesfile", "--version", "2.0.0")
	out := e.ok("artifact", "follow", "--once", ref, "--plain-http")
	if !strings.Contains(out, "updated rulesfile followed to 2.0.0 (was 1.0.0)") || !strings.Contains(out, "followed_rules.yaml: rules +1 (B)") {
		t.Fatalf("follow after v2: %s", out)
	}
	if got := readFile(t, filepath.Join(e.rules, "followed_rules.yaml")); !strings.Contains(got, "rule: B") {
		t.Error("version 2 not installed")
	}
}

// follow runs until cancelled and does not exit when the registry is
// unreachable.
func TestFollowSurvivesAnUnreachableRegistry(t *testing.T) {
	e := newEnv(t, testregistry.Options{})
	f := cli.NewFactory()
	var out, errOut strings.Builder
	f.IO = cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	f.Options.ConfigFile = e.cfgFile
	f.Options.LogFormat = "text"
	f.Getenv = func(string) string { return "" }
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	code := cmd.Execute(ctx, f, []string{"artifact", "follow", "127.0.0.1:1/rules/none:latest", "--plain-http", "--every", "1s"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "retrying") {
		t.Errorf("no retry logged:\n%s", errOut.String())
	}
}
