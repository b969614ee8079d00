package releasetest

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/internal/version"
)

// goreleaserBin finds goreleaser, skipping the test without it, or failing
// under SAKER_REQUIRE_PRIVILEGED=1.
func goreleaserBin(t *testing.T) string {
	t.Helper()
	return testutil.NeedTool(t, "goreleaser", "go install github.com/goreleaser/goreleaser/v2@v2.16.0")
}

// run runs a command in the repository root and returns its stdout.
func run(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = testutil.RepoRoot()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w\n%s%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), nil
}

func TestCheck(t *testing.T) {
	if _, err := run(t, goreleaserBin(t), "check"); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotBuild builds the host's target as a release would, into a
// temporary dist directory so the checkout stays clean, and runs it.
func TestSnapshotBuild(t *testing.T) {
	bin := goreleaserBin(t)
	cfg, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(cfg, []byte("\ndist:")) {
		t.Fatal(".goreleaser.yaml sets dist; the test overrides it and expects it unset")
	}
	tmp := t.TempDir()
	dist := filepath.Join(tmp, "dist")
	cfgFile := filepath.Join(tmp, "goreleaser.yaml")
	if err := os.WriteFile(cfgFile, append(cfg, []byte("\ndist: "+dist+"\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	build := exec.Command(bin, "build", "--config", cfgFile, "--snapshot", "--single-target", "--clean")
	build.Dir = testutil.RepoRoot()
	build.Env = os.Environ()
	// goreleaser leaves the commit and date unset in a clone without a
	// remote (CI's); a remote set through the environment changes nothing
	// in the checkout.
	if remotes, err := run(t, "git", "remote"); err == nil && strings.TrimSpace(remotes) == "" {
		build.Env = append(build.Env, "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=remote.origin.url", "GIT_CONFIG_VALUE_0=https://github.com/sakersec/saker.git")
	}
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("goreleaser build: %v\n%s", err, out)
	}
	bins, _ := filepath.Glob(filepath.Join(dist, "sakerctl_linux_"+runtime.GOARCH+"*", "sakerctl"))
	if len(bins) != 1 {
		entries, _ := os.ReadDir(dist)
		t.Fatalf("want one sakerctl for linux/%s in %s, found %q (dist holds %v)", runtime.GOARCH, dist, bins, entries)
	}

	f, err := elf.Open(bins[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the release binary has an ELF interpreter: it is dynamically linked (CGO_ENABLED=0 lost?)")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the release binary needs shared libraries %q", libs)
	}

	out, err := run(t, bins[0], "version", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var info version.Info
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("version -o json: %v\n%s", err, out)
	}
	if !strings.Contains(info.Version, "-snapshot-") {
		t.Errorf("version %q, want goreleaser's snapshot version (X.Y.Z-snapshot-COMMIT)", info.Version)
	}
	// The stamped commit is this checkout's HEAD at build time; others may
	// have committed since, so it must be HEAD or one of its ancestors.
	if _, err := run(t, "git", "merge-base", "--is-ancestor", info.Commit, "HEAD"); err != nil || !strings.HasSuffix(info.Version, "-"+info.Commit) {
		t.Errorf("commit %q (version %q) is not a commit of this checkout's HEAD: %v", info.Commit, info.Version, err)
	} else {
		commitDate, err := run(t, "git", "show", "-s", "--format=%cI", info.Commit)
		if err != nil {
			t.Fatal(err)
		}
		want, err1 := time.Parse(time.RFC3339, strings.TrimSpace(commitDate))
		got, err2 := time.Parse(time.RFC3339, info.Date)
		if err1 != nil || err2 != nil || !got.Equal(want) {
			t.Errorf("date %q, want the commit date %s", info.Date, strings.TrimSpace(commitDate))
		}
	}
	if want := "linux/" + runtime.GOARCH; info.Platform != want {
		t.Errorf("platform %q, want %s", info.Platform, want)
	}
}
