package artifact_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sakersec/saker/cmd"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/internal/testregistry"
)

const (
	crashTrials  = 200
	crashWorkers = 8
)

// fastTempDir is a temporary directory on tmpfs when there is one: a
// SIGKILL, unlike a power cut, does not depend on fsync, and fsync on a
// busy disk would dominate the test's time.
func fastTempDir(t *testing.T) string {
	t.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "saker-crash-"); err == nil {
			t.Cleanup(func() { _ = os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

// buildSakerctl builds the sakerctl binary once for the test.
func buildSakerctl(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sakerctl")
	build := exec.Command("go", "build", "-o", bin, "github.com/sakersec/saker/cmd/sakerctl")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build sakerctl: %v\n%s", err, out)
	}
	return bin
}

// crashVersion is the content of one version of the test rulesfile
// artifact, by file name.
type crashVersion map[string]string

func crashVersions() [2]crashVersion {
	pad := func(tag string, n int) string {
		return "# " + strings.Repeat(tag, n) + "\n- list: crash\n  items: [" + tag + "]\n"
	}
	// Version 2 changes two files, adds one and drops one, so a kill can
	// land between the moves of different files and before the stale
	// file's removal.
	return [2]crashVersion{
		{"a.yaml": pad("a1", 4000), "b.yaml": pad("b1", 4000), "c.yaml": pad("c1", 4000)},
		{"a.yaml": pad("a2", 5000), "b.yaml": pad("b2", 3000), "d.yaml": pad("d2", 4000)},
	}
}

// crashWorker is one install tree that sakerctl installs into, killed or
// not, over and over.
type crashWorker struct {
	bin, cfg, rules string
	refs            [2]string
}

func (w *crashWorker) command(version int) *exec.Cmd {
	c := exec.Command(w.bin, "--config", w.cfg, "artifact", "install", w.refs[version], "--plain-http")
	c.Env = []string{"HOME=" + filepath.Dir(w.cfg), "PATH=" + os.Getenv("PATH")}
	return c
}

func (w *crashWorker) install(version int) error {
	if out, err := w.command(version).CombinedOutput(); err != nil {
		return fmt.Errorf("install of version %d: %v\n%s", version+1, err, out)
	}
	return nil
}

// followUp installs version in-process: the same code as the binary
// without a process start, which dominates the test's time.
func (w *crashWorker) followUp(version int) error {
	var out bytes.Buffer
	f := cli.NewFactory()
	f.IO = cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}
	f.Options.ConfigFile = w.cfg
	f.Options.LogFormat = "text"
	f.Getenv = func(string) string { return "" }
	if code := cmd.Execute(context.Background(), f, []string{"artifact", "install", w.refs[version], "--plain-http"}); code != 0 {
		return fmt.Errorf("install of version %d: exit %d\n%s", version+1, code, out.String())
	}
	return nil
}

// check returns what is wrong with the destination directory when every
// file must be the complete old or new version: files in both versions
// must exist, files of one version may be missing.
func (w *crashWorker) check(old, cur crashVersion) []string {
	var bad []string
	entries, err := os.ReadDir(w.rules)
	if err != nil {
		return []string{err.Error()}
	}
	seen := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".sakerctl-staging-") {
			continue
		}
		seen[name] = true
		b, err := os.ReadFile(filepath.Join(w.rules, name))
		if err != nil {
			bad = append(bad, name+": "+err.Error())
			continue
		}
		o, inOld := old[name]
		n, inNew := cur[name]
		switch {
		case !inOld && !inNew:
			bad = append(bad, name+": belongs to neither version")
		case (inOld && string(b) == o) || (inNew && string(b) == n):
		default:
			bad = append(bad, fmt.Sprintf("%s: %d bytes, neither the old nor the new version", name, len(b)))
		}
	}
	for name := range old {
		if _, inNew := cur[name]; inNew && !seen[name] {
			bad = append(bad, name+": missing (it is in both versions)")
		}
	}
	sort.Strings(bad)
	return bad
}

// TestInstallSurvivesSIGKILL kills `sakerctl artifact install` at random
// points while it replaces one version of an artifact with another, and
// checks after each kill that every installed file is the complete old or
// the complete new version, and that the next install succeeds.
func TestInstallSurvivesSIGKILL(t *testing.T) {
	began := time.Now()
	bin := buildSakerctl(t)
	t.Logf("sakerctl built in %v", time.Since(began).Round(time.Millisecond))
	e := newEnv(t, testregistry.Options{})
	versions := crashVersions()
	var refs [2]string
	for i, v := range versions {
		src := t.TempDir()
		var files []string
		for name, body := range v {
			files = append(files, writeFile(t, filepath.Join(src, name), body))
		}
		sort.Strings(files)
		ver := fmt.Sprintf("%d.0.0", i+1)
		refs[i] = e.reg.Ref("rules/crash", ver)
		e.push(refs[i], append(files, "--type", "rulesfile", "--version", ver)...)
	}

	workers := make([]*crashWorker, crashWorkers)
	for i := range workers {
		root := fastTempDir(t)
		w := &crashWorker{bin: bin, cfg: filepath.Join(root, "sakerctl.yaml"), rules: filepath.Join(root, "rules"), refs: refs}
		writeFile(t, w.cfg, "artifact:\n  install:\n    stateDir: "+filepath.Join(root, "state")+"\n    rulesfilesDir: "+w.rules+"\n")
		if err := w.install(0); err != nil {
			t.Fatal(err)
		}
		workers[i] = w
	}

	// Each worker adapts its kill window so that about half the installs
	// finish: kills then fall in every phase, from start-up to the final
	// moves, however fast this machine runs sakerctl. It starts from the
	// time one install takes.
	start := time.Now()
	if err := workers[0].install(1); err != nil {
		t.Fatal(err)
	}
	first := time.Since(start)
	if err := workers[0].install(0); err != nil {
		t.Fatal(err)
	}
	trialsStart := time.Now()
	var (
		mu                  sync.Mutex
		killed, mixed       int
		failures, leftovers []string
		wg                  sync.WaitGroup
	)
	for wi, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(wi), uint64(time.Now().UnixNano())))
			span := 2 * first
			cur := 0 // version installed
			for trial := wi; trial < crashTrials; trial += crashWorkers {
				target := 1 - cur
				proc := w.command(target)
				var out bytes.Buffer
				proc.Stdout, proc.Stderr = &out, &out
				if err := proc.Start(); err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					return
				}
				time.Sleep(time.Duration(rng.Int64N(int64(span))))
				_ = proc.Process.Signal(syscall.SIGKILL)
				err := proc.Wait()
				wasKilled := false
				if ee, ok := err.(*exec.ExitError); ok {
					if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
						wasKilled = true
					} else {
						mu.Lock()
						failures = append(failures, fmt.Sprintf("trial %d: install failed on its own: %v\n%s", trial, err, out.String()))
						mu.Unlock()
						return
					}
				}
				bad := w.check(versions[cur], versions[target])
				isMixed := false
				if len(bad) == 0 {
					a, _ := os.ReadFile(filepath.Join(w.rules, "a.yaml"))
					b, _ := os.ReadFile(filepath.Join(w.rules, "b.yaml"))
					isMixed = (string(a) == versions[target]["a.yaml"]) != (string(b) == versions[target]["b.yaml"])
				}
				// Whatever the kill left, the next install completes it.
				ferr := w.followUp(target)
				var after []string
				if ferr == nil {
					after = w.check(versions[target], versions[target])
				}
				var stale []string
				for name := range versions[cur] {
					if _, ok := versions[target][name]; !ok {
						if _, err := os.Stat(filepath.Join(w.rules, name)); err == nil {
							stale = append(stale, name)
						}
					}
				}
				if wasKilled {
					span = min(span*5/4, 5*time.Second)
				} else {
					span = max(span*4/5, 5*time.Millisecond)
				}
				mu.Lock()
				if wasKilled {
					killed++
				}
				if isMixed {
					mixed++
				}
				if len(bad) > 0 {
					failures = append(failures, fmt.Sprintf("trial %d: after SIGKILL: %s", trial, strings.Join(bad, "; ")))
				}
				if ferr != nil {
					failures = append(failures, fmt.Sprintf("trial %d: follow-up %v", trial, ferr))
				}
				if len(after) > 0 {
					failures = append(failures, fmt.Sprintf("trial %d: after the follow-up install: %s", trial, strings.Join(after, "; ")))
				}
				if len(stale) > 0 {
					leftovers = append(leftovers, fmt.Sprintf("trial %d: %s", trial, strings.Join(stale, ", ")))
				}
				mu.Unlock()
				cur = target
			}
		}()
	}
	wg.Wait()
	t.Logf("%d trials in %v, %d killed mid-install, %d left files of both versions", crashTrials, time.Since(trialsStart).Round(time.Millisecond), killed, mixed)
	if len(leftovers) > 0 {
		t.Logf("files of the previous version left after the follow-up install (kill between the state update and the stale-file removal): %d trials, e.g. %s", len(leftovers), leftovers[0])
	}
	if len(failures) > 0 {
		sort.Strings(failures)
		t.Fatalf("%d failures, first ones:\n%s", len(failures), strings.Join(failures[:min(len(failures), 10)], "\n"))
	}
	if killed < crashTrials/10 {
		t.Fatalf("only %d of %d installs were killed before finishing: the test did not exercise crashes", killed, crashTrials)
	}
	var staging int
	for _, w := range workers {
		m, _ := filepath.Glob(filepath.Join(w.rules, ".sakerctl-staging-*"))
		staging += len(m)
	}
	t.Logf("staging directories left in the destination by killed installs: %d", staging)
}
