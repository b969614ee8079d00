package drivers

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Errors of [Check] and [Load]. Each says what is missing; the wrapped
// message says what to do.
var (
	ErrNotLinux      = errors.New("the eBPF driver runs on Linux only")
	ErrNotPrivileged = errors.New("insufficient privileges to load eBPF programs")
	ErrNoBTF         = errors.New("kernel BTF is not available")
	ErrKernelTooOld  = errors.New("kernel too old for the eBPF driver")
	ErrBadOption     = errors.New("invalid driver option")
	ErrBadObject     = errors.New("not a Saker eBPF object")
	ErrLoad          = errors.New("the kernel refused the eBPF object")
	ErrAttach        = errors.New("could not attach the eBPF programs")
)

// MinKernel is the oldest kernel the driver supports: the path walks use
// bpf_loop (5.17); task storage, bpf_get_current_task_btf (5.11) and
// bpf_task_pt_regs (5.15) are older.
var MinKernel = [2]int{5, 17}

// BTFPath is where the kernel exposes its own BTF.
const BTFPath = "/sys/kernel/btf/vmlinux"

// Host facts, replaceable by tests.
var (
	btfPath       = BTFPath
	kernelRelease = func() (string, error) {
		var u unix.Utsname
		if err := unix.Uname(&u); err != nil {
			return "", fmt.Errorf("uname: %w", err)
		}
		return unix.ByteSliceToString(u.Release[:]), nil
	}
)

// Capability bits (linux/capability.h).
const (
	capSysAdmin = 21
	capPerfmon  = 38
	capBPF      = 39
)

// Check reports, as one error, the first thing that keeps the driver from
// loading on this host: not Linux, not privileged (root, or CAP_BPF with
// CAP_PERFMON), no kernel BTF, or a kernel older than [MinKernel].
func Check() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("%w (this is %s)", ErrNotLinux, runtime.GOOS)
	}
	if err := checkPrivileges(); err != nil {
		return err
	}
	if _, err := os.Stat(btfPath); err != nil {
		return fmt.Errorf("%w: %s is missing; use a kernel built with CONFIG_DEBUG_INFO_BTF=y (most distributions since 2020 are)", ErrNoBTF, btfPath)
	}
	release, err := kernelRelease()
	if err != nil {
		return err
	}
	major, minor, ok := parseRelease(release)
	if !ok {
		return nil // an unparseable release is left to the loader to judge
	}
	if major < MinKernel[0] || major == MinKernel[0] && minor < MinKernel[1] {
		return fmt.Errorf("%w: running %s, need %d.%d or newer; upgrade the kernel", ErrKernelTooOld, release, MinKernel[0], MinKernel[1])
	}
	return nil
}

func parseRelease(r string) (major, minor int, ok bool) {
	parts := strings.SplitN(r, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minorStr := parts[1]
	if i := strings.IndexFunc(minorStr, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		minorStr = minorStr[:i]
	}
	minor, err2 := strconv.Atoi(minorStr)
	return major, minor, err1 == nil && err2 == nil
}

func checkPrivileges() error {
	if os.Geteuid() == 0 {
		return nil
	}
	eff, err := effectiveCaps()
	if err == nil && (eff&(1<<capSysAdmin) != 0 || eff&(1<<capBPF) != 0 && eff&(1<<capPerfmon) != 0) {
		return nil
	}
	return fmt.Errorf("%w: running as uid %d without CAP_BPF and CAP_PERFMON; run as root (sudo) or grant them (setcap cap_bpf,cap_perfmon,cap_sys_resource+ep)", ErrNotPrivileged, os.Geteuid())
}

func effectiveCaps() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, errors.New("no CapEff in /proc/self/status")
}
