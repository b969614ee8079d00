package drivers

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sakersec/saker/internal/testutil"
)

const checkChildEnv = "SAKER_DRIVERS_CHECK_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(checkChildEnv) != "" {
		// Runs unprivileged: print what Check says.
		if err := Check(); err != nil {
			os.Stdout.WriteString(err.Error())
			if errors.Is(err, ErrNotPrivileged) {
				os.Exit(3)
			}
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestCheckNotPrivileged(t *testing.T) {
	testutil.NeedRoot(t)
	// The go-build directory is private to root: run a copy from a place
	// nobody can reach.
	self, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "saker-check-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "drivers.test")
	if err := os.WriteFile(exe, self, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), checkChildEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, runErr := cmd.Output()
	if cmd.ProcessState == nil {
		// Could not start it (for example /tmp mounted noexec).
		t.Skipf("cannot run the unprivileged child: %v", runErr)
	}
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		t.Fatalf("unprivileged Check: exit %d (%v), output %q; want ErrNotPrivileged", code, runErr, out)
	}
	for _, want := range []string{"uid 65534", "CAP_BPF", "run as root"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("error %q does not mention %q", out, want)
		}
	}
}

func TestCheckNoBTFAndOldKernel(t *testing.T) {
	testutil.NeedRoot(t)
	defer func(p string, r func() (string, error)) { btfPath, kernelRelease = p, r }(btfPath, kernelRelease)

	btfPath = "/nonexistent/vmlinux"
	err := Check()
	if !errors.Is(err, ErrNoBTF) || !strings.Contains(err.Error(), "CONFIG_DEBUG_INFO_BTF") {
		t.Errorf("no BTF: %v", err)
	}

	btfPath = os.Args[0] // any existing file
	kernelRelease = func() (string, error) { return "5.10.0-21-amd64", nil }
	err = Check()
	if !errors.Is(err, ErrKernelTooOld) || !strings.Contains(err.Error(), "5.10.0-21-amd64") || !strings.Contains(err.Error(), "5.17") {
		t.Errorf("old kernel: %v", err)
	}
	if _, err := Load(LoadOptions{}); !errors.Is(err, ErrKernelTooOld) {
		t.Errorf("Load on an old kernel: %v", err)
	}
	kernelRelease = func() (string, error) { return "6.1.0", nil }
	if err := Check(); err != nil {
		t.Errorf("6.1: %v", err)
	}
}
