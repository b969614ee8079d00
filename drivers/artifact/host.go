package artifact

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sakersec/saker/drivers"
)

// Host are the facts a driver's requirements are checked against.
type Host struct {
	// Release is the kernel release (uname -r).
	Release string `json:"kernelRelease"`
	// Arch is the Go architecture of this binary.
	Arch string `json:"arch"`
	// BTF reports whether the kernel exposes its BTF.
	BTF bool `json:"btf"`
}

// CurrentHost reads this host's facts.
func CurrentHost() (Host, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return Host{}, fmt.Errorf("uname: %w", err)
	}
	_, err := os.Stat(drivers.BTFPath)
	return Host{Release: unix.ByteSliceToString(u.Release[:]), Arch: runtime.GOARCH, BTF: err == nil}, nil
}

// Check reports, wrapping [ErrRequirement], the first requirement of c
// this host does not meet, or nil.
func (h Host) Check(c Config) error {
	if c.Arch != h.Arch {
		return fmt.Errorf("%w: built for %s, this host is %s", ErrRequirement, c.Arch, h.Arch)
	}
	r := c.Requirements
	if r.BTF && !h.BTF {
		return fmt.Errorf("%w: needs kernel BTF, but %s is missing (use a kernel built with CONFIG_DEBUG_INFO_BTF=y)", ErrRequirement, drivers.BTFPath)
	}
	if r.MinKernelRelease != "" {
		want, ok := parseRelease(r.MinKernelRelease)
		if !ok {
			return fmt.Errorf("%w: minKernelRelease %q is not MAJOR.MINOR", ErrFormat, r.MinKernelRelease)
		}
		have, ok := parseRelease(h.Release)
		if ok && less(have, want) {
			return fmt.Errorf("%w: needs kernel %s or newer, this host runs %s", ErrRequirement, r.MinKernelRelease, h.Release)
		}
	}
	return nil
}

// parseRelease reads MAJOR.MINOR[.PATCH] from the start of a kernel
// release such as "6.8.0-45-generic".
func parseRelease(s string) ([3]int, bool) {
	var v [3]int
	parts := strings.SplitN(strings.TrimSpace(s), ".", 3)
	if len(parts) < 2 {
		return v, false
	}
	for i, p := range parts {
		if j := strings.IndexFunc(p, func(r rune) bool { return r < '0' || r > '9' }); j >= 0 {
			p = p[:j]
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			if i < 2 {
				return v, false
			}
			break
		}
		v[i] = n
	}
	return v, true
}

func less(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}
