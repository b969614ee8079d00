package artifacts

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func pushRules(t *testing.T, c Source, ref, version string, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	repo, err := c.Repository(ref)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Push(context.Background(), repo, PushOptions{Type: Rulesfile, Files: paths, Config: Config{Version: version}}); err != nil {
		t.Fatal(err)
	}
}

// TestFailedCommitRestoresPreviousFiles makes the move into place fail
// half-way (a directory where the new version puts a file) and checks
// that the files already moved are rolled back to the old version.
func TestFailedCommitRestoresPreviousFiles(t *testing.T) {
	ctx := context.Background()
	reg, c := testClient(t)
	ref := reg.Ref("rules/r", "")
	pushRules(t, c, ref+":1.0.0", "1.0.0", map[string]string{"a.yaml": "- list: old_a\n"})
	pushRules(t, c, ref+":2.0.0", "2.0.0", map[string]string{"a.yaml": "- list: new_a\n", "b.yaml": "- list: new_b\n"})
	dest := t.TempDir()
	state := OpenState(t.TempDir())
	in := &Installer{Resolver: &Resolver{Registry: c}, State: state, Engine: DefaultEngine()}
	opts := InstallOptions{Dirs: map[Type]string{Rulesfile: dest}}
	if _, err := in.Install(ctx, []string{ref + ":1.0.0"}, opts); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dest, "b.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := in.Install(ctx, []string{ref + ":2.0.0"}, opts)
	if err == nil || !strings.Contains(err.Error(), "a directory is in the way") {
		t.Fatalf("install over a directory: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "a.yaml")); string(got) != "- list: old_a\n" {
		t.Fatalf("a.yaml = %q after a failed install, want the old content", got)
	}
	entries, _ := os.ReadDir(dest)
	if len(entries) != 2 {
		t.Fatalf("leftovers in the destination: %v", entries)
	}
	rec, _ := state.Get("r")
	if rec == nil || rec.Version != "1.0.0" {
		t.Fatalf("state after failed install: %+v", rec)
	}
}

func TestPullWritesFilesWithoutState(t *testing.T) {
	ctx := context.Background()
	reg, c := testClient(t)
	ref := reg.Ref("rules/p", "1.0.0")
	pushRules(t, c, ref, "1.0.0", map[string]string{"p.yaml": "- list: p\n"})
	dest := filepath.Join(t.TempDir(), "new", "dir")
	in := &Installer{Resolver: &Resolver{Registry: c}}
	rec, err := in.Pull(ctx, ref, dest, InstallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Files) != 1 || filepath.Base(rec.Files[0]) != "p.yaml" {
		t.Fatalf("pulled %v", rec.Files)
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "p.yaml")); string(got) != "- list: p\n" {
		t.Fatalf("p.yaml = %q", got)
	}
}

func TestResolveWithoutIndexNeedsFullRef(t *testing.T) {
	_, c := testClient(t)
	r := &Resolver{Registry: c}
	if _, err := r.Resolve(context.Background(), "falco-rules", ResolveOptions{}); err == nil {
		t.Fatal("a name resolved without an index")
	}
	// An unreachable registry fails fast with a clear error.
	_, err := r.Resolve(context.Background(), "127.0.0.1:1/x/y:1.0.0", ResolveOptions{})
	if err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("unreachable registry: %v", err)
	}
}

func TestInstallRemovesStaleStagingDirs(t *testing.T) {
	ctx := context.Background()
	reg, c := testClient(t)
	ref := reg.Ref("rules/s", "1.0.0")
	pushRules(t, c, ref, "1.0.0", map[string]string{"s.yaml": "- list: s\n"})
	dest := t.TempDir()
	stale := filepath.Join(dest, stagingPrefix+"old")
	fresh := filepath.Join(dest, stagingPrefix+"fresh")
	for _, d := range []string{stale, fresh} {
		if err := os.MkdirAll(filepath.Join(d, "root"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	_ = os.Chtimes(stale, old, old)
	in := &Installer{Resolver: &Resolver{Registry: c}, State: OpenState(t.TempDir()), Engine: DefaultEngine()}
	if _, err := in.Install(ctx, []string{ref}, InstallOptions{Dirs: map[Type]string{Rulesfile: dest}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale staging dir kept (%v)", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("recent staging dir removed: %v", err)
	}
}

func TestVerifyHookRunsBeforeDownload(t *testing.T) {
	ctx := context.Background()
	reg, c := testClient(t)
	ref := reg.Ref("rules/v", "1.0.0")
	pushRules(t, c, ref, "1.0.0", map[string]string{"v.yaml": "- list: v\n"})
	dest := t.TempDir()
	var seen []string
	in := &Installer{Resolver: &Resolver{Registry: c}, State: OpenState(t.TempDir()), Engine: DefaultEngine(),
		Verify: func(_ context.Context, a *Artifact) error {
			seen = append(seen, a.Digest)
			if a.Repo() == nil || a.Entry != nil {
				t.Errorf("artifact %+v: want a repository and no index entry for a full ref", a)
			}
			return errors.New("signature rejected")
		}}
	_, err := in.Install(ctx, []string{ref}, InstallOptions{Dirs: map[Type]string{Rulesfile: dest}})
	if err == nil || err.Error() != "signature rejected" || len(seen) != 1 {
		t.Fatalf("install with a rejecting verifier: %v (calls %d)", err, len(seen))
	}
	if entries, _ := os.ReadDir(dest); len(entries) != 0 {
		t.Fatalf("files written despite the verifier: %v", entries)
	}
}

func TestInstallRefusesFilesOwnedByAnotherArtifact(t *testing.T) {
	ctx := context.Background()
	reg, c := testClient(t)
	pushRules(t, c, reg.Ref("rules/one", "1.0.0"), "1.0.0", map[string]string{"shared.yaml": "- list: one\n"})
	pushRules(t, c, reg.Ref("rules/two", "1.0.0"), "1.0.0", map[string]string{"shared.yaml": "- list: two\n"})
	dest := t.TempDir()
	in := &Installer{Resolver: &Resolver{Registry: c}, State: OpenState(t.TempDir()), Engine: DefaultEngine()}
	opts := InstallOptions{Dirs: map[Type]string{Rulesfile: dest}}
	if _, err := in.Install(ctx, []string{reg.Ref("rules/one", "1.0.0")}, opts); err != nil {
		t.Fatal(err)
	}
	_, err := in.Install(ctx, []string{reg.Ref("rules/two", "1.0.0")}, opts)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "belongs to the installed artifact one") {
		t.Fatalf("overwriting another artifact's file: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "shared.yaml")); string(got) != "- list: one\n" {
		t.Fatalf("shared.yaml = %q", got)
	}
}
