// Package testutil holds helpers shared by Saker's tests: gates for tests
// that need root, BPF, Docker or an installed tool, and access to the upstream reference data.
//
// When SAKER_REQUIRE_PRIVILEGED=1 (CI sets it), a missing capability fails
// the test instead of skipping it, so CI cannot silently skip the
// privileged suites.
package testutil

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// RequirePrivileged reports whether missing capabilities must fail tests.
func RequirePrivileged() bool { return os.Getenv("SAKER_REQUIRE_PRIVILEGED") == "1" }

func missing(t testing.TB, what string) {
	t.Helper()
	if RequirePrivileged() {
		t.Fatalf("%s is required (SAKER_REQUIRE_PRIVILEGED=1)", what)
	}
	t.Skipf("skipping: %s is not available", what)
}

// NeedRoot skips (or fails under SAKER_REQUIRE_PRIVILEGED=1) unless the test
// runs as root.
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "root")
	}
}

// NeedBPF requires root and kernel BTF, what the eBPF driver needs to load.
func NeedBPF(t testing.TB) {
	t.Helper()
	NeedRoot(t)
	if runtime.GOOS != "linux" {
		missing(t, "Linux")
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		missing(t, "kernel BTF (/sys/kernel/btf/vmlinux)")
	}
}

// NeedDocker requires a reachable Docker daemon.
func NeedDocker(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		missing(t, "the docker CLI")
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		missing(t, "a running Docker daemon")
	}
}

// NeedTool returns the path of the named program, looked up on PATH and
// then in $GOPATH/bin (where `go install` puts it, often not on PATH). Without
// it the test skips, or fails under SAKER_REQUIRE_PRIVILEGED=1; install says
// how to get it, e.g. "go install helm.sh/helm/v3/cmd/helm@v3.22.0".
func NeedTool(t testing.TB, name, install string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, _ := os.UserHomeDir()
		gopath = filepath.Join(home, "go")
	}
	p := filepath.Join(gopath, "bin", name)
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
		return p
	}
	missing(t, name+" ("+install+")")
	return ""
}

// UpstreamDir returns ../shared/upstream relative to the repository root.
// The directory is beside the checkout in CI; a user's clone lacks it.
func UpstreamDir() string {
	if d := os.Getenv("SAKER_UPSTREAM_DIR"); d != "" {
		return d
	}
	return filepath.Join(RepoRoot(), "..", "shared", "upstream")
}

// Upstream returns the path of an upstream reference file (relative to
// ../shared/upstream) and skips the test cleanly if it is absent.
func Upstream(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(UpstreamDir(), rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("skipping: upstream reference data %s not found (it lives in ../shared/upstream beside the checkout)", p)
	}
	return p
}

// RepoRoot returns the repository root (the directory holding go.mod).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// SyncBuffer is a bytes.Buffer that is safe for concurrent use, for tests
// that read what a server or a background goroutine logs while it runs.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p to the buffer.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what has been written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
