package driver_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sakersec/saker/cmd"
	"github.com/sakersec/saker/cmd/run"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/internal/testregistry"
	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/sensor/runner"
)

type env struct {
	t       *testing.T
	reg     *testregistry.Registry
	cfgFile string
	drivers string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	root := t.TempDir()
	e := &env{t: t, reg: testregistry.New(t, testregistry.Options{}), cfgFile: filepath.Join(root, "sakerctl.yaml"), drivers: filepath.Join(root, "drivers")}
	cfg := "artifact:\n  install:\n    stateDir: " + filepath.Join(root, "state") + "\ndriver:\n  dir: " + e.drivers + "\n"
	if err := os.WriteFile(e.cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) run(args ...string) (string, string, int) {
	e.t.Helper()
	var out, errOut bytes.Buffer
	f := cli.NewFactory()
	f.IO = cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	f.Options.ConfigFile = e.cfgFile
	f.Options.LogFormat = "text"
	f.Getenv = func(string) string { return "" }
	code := cmd.Execute(context.Background(), f, args)
	return out.String(), errOut.String(), code
}

func (e *env) ok(args ...string) string {
	e.t.Helper()
	out, errOut, code := e.run(args...)
	if code != 0 {
		e.t.Fatalf("sakerctl %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// tree returns every file's content and every symlink's target under dir.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if d.Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			out[rel] = "-> " + target
		} else if d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			out[rel] = string(b)
		}
		return nil
	})
	return out
}

func otherArch() string {
	if runtime.GOARCH == "arm64" {
		return "amd64"
	}
	return "arm64"
}

// TestPushInstallPrintenvRun is the whole flow: push the embedded object
// with `registry push --type driver`, install it by semver (test load in
// the kernel), see it in printenv, have `run` load it, and refuse drivers
// for another architecture or a newer kernel without touching it.
func TestPushInstallPrintenvRun(t *testing.T) {
	testutil.NeedBPF(t)
	e := newEnv(t)
	ref := e.reg.Host + "/drivers/saker"
	out := e.ok("registry", "push", ref+":1.0.0", "--type", "driver", "--version", "1.0.0", "--plain-http")
	if !strings.Contains(out, "pushed driver "+ref+":1.0.0") {
		t.Errorf("push output: %q", out)
	}
	out = e.ok("driver", "install", ref+":^1", "--plain-http")
	if !strings.Contains(out, "installed driver saker 1.0.0 (linux/"+runtime.GOARCH+" tp_btf)") || !strings.Contains(out, e.drivers) {
		t.Errorf("install output: %q", out)
	}
	env := e.ok("driver", "printenv")
	for _, want := range []string{"ARCH=" + runtime.GOARCH, "KERNEL_BTF=true", "DRIVER_VARIANT=tp_btf", "DRIVER_DIR=" + e.drivers, "DRIVER_SOURCE=installed", "saker 1.0.0 linux/" + runtime.GOARCH + " tp_btf"} {
		if !strings.Contains(env, want) {
			t.Errorf("printenv lacks %q:\n%s", want, env)
		}
	}
	installed := tree(t, e.drivers)

	e.ok("registry", "push", ref+":2.0.0", "--type", "driver", "--version", "2.0.0", "--platform", "linux/"+otherArch(), "--plain-http")
	_, errOut, code := e.run("driver", "install", ref+":2.0.0", "--plain-http")
	if code == 0 || !strings.Contains(errOut, "nothing for linux/"+runtime.GOARCH) || !strings.Contains(errOut, "active driver is unchanged") {
		t.Errorf("wrong arch: exit %d, %s", code, errOut)
	}
	e.ok("registry", "push", ref+":3.0.0", "--type", "driver", "--version", "3.0.0", "--min-kernel", "99.0", "--plain-http")
	_, errOut, code = e.run("driver", "install", ref+":3.0.0", "--plain-http")
	if code == 0 || !strings.Contains(errOut, "needs kernel 99.0 or newer") {
		t.Errorf("newer kernel: exit %d, %s", code, errOut)
	}
	if !maps.Equal(installed, tree(t, e.drivers)) {
		t.Error("a refused install changed the drivers directory")
	}

	logs := runSensor(t, e.drivers)
	if !strings.Contains(logs, "using the installed eBPF driver") || !strings.Contains(logs, "version=1.0.0") {
		t.Errorf("run did not use the installed driver:\n%s", logs)
	}

	out = e.ok("driver", "install", ref+":1.0.0", "--variant", "raw_tracepoint", "--plain-http")
	if !strings.Contains(out, "raw_tracepoint") {
		t.Errorf("install --variant raw_tracepoint: %q", out)
	}
	logs = runSensor(t, e.drivers)
	if !strings.Contains(logs, "using the installed eBPF driver") || !strings.Contains(logs, "variant=raw_tracepoint") || !strings.Contains(logs, "mode=raw_tracepoint") {
		t.Errorf("run did not use the installed raw_tracepoint driver:\n%s", logs)
	}

	// Uninstalling the active driver removes the link: run loads the
	// embedded driver and says there is none installed.
	out = e.ok("artifact", "uninstall", "saker")
	if !strings.Contains(out, "uninstalled driver saker 1.0.0") {
		t.Errorf("uninstall output: %q", out)
	}
	if left := tree(t, e.drivers); len(left) != 0 {
		t.Errorf("uninstall left %v in the drivers directory", left)
	}
	logs = runSensor(t, e.drivers)
	if !strings.Contains(logs, "using the embedded eBPF driver") || !strings.Contains(logs, "no driver installed in "+e.drivers) {
		t.Errorf("run after uninstall:\n%s", logs)
	}
}

// runSensor starts `sakerctl run` on a rule that never fires, stops it once
// it is set up, and returns its logs.
func runSensor(t *testing.T, driverDir string) string {
	t.Helper()
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yaml")
	cfg := filepath.Join(dir, "falco.yaml")
	_ = os.WriteFile(rules, []byte("- rule: never\n  desc: never fires\n  condition: evt.type = execve and proc.name = no-such-proc-x\n  output: x\n  priority: NOTICE\n"), 0o644)
	_ = os.WriteFile(cfg, []byte("stdout_output: {enabled: false}\nsyslog_output: {enabled: false}\nwebserver: {enabled: false}\n"), 0o644)
	var logs testutil.SyncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{}, 1)
	done := make(chan error, 1)
	o := &run.Options{
		ConfigFile: cfg, RulesFiles: []string{rules}, DriverDir: driverDir, Stdout: io.Discard,
		Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
		Started: func(*runner.Sensor) { started <- struct{}{} },
	}
	go func() { done <- run.Run(ctx, o) }()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("sensor did not start: %v\n%s", err, logs.String())
	case <-time.After(60 * time.Second):
		t.Fatal("sensor setup took over a minute")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("sensor: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("sensor did not stop within 30s")
	}
	return logs.String()
}

// TestPushFlags: driver-only flags are checked, and other types still
// need files.
func TestPushFlags(t *testing.T) {
	e := newEnv(t)
	ref := e.reg.Host + "/drivers/saker:1.0.0"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--type", "driver", "--version", "1.0.0", "--variant", "kprobe"}, "want tp_btf or raw_tracepoint"},
		{[]string{"--type", "driver", "--version", "1.0.0", "--platform", "linux"}, "want linux/ARCH"},
		{[]string{"--type", "driver", "--version", "1.0.0", "--requires", "engine_version_semver:0.1.0"}, "do not apply to drivers"},
		{[]string{"--type", "rulesfile", "--version", "1.0.0"}, "at least one FILE"},
	} {
		_, errOut, code := e.run(append([]string{"registry", "push", ref, "--plain-http"}, tc.args...)...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want %q", tc.args, code, errOut, tc.want)
		}
	}
}
