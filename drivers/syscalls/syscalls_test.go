package syscalls

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/sakersec/saker/sensor/event"
)

// The tables must agree with the kernel's UAPI headers where the machine
// has them (linux-libc-dev).
func checkHeader(t *testing.T, tb *Table, path string, prefixes ...string) {
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("skipping: %s not installed", path)
	}
	defer f.Close()
	nrs := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 3 || fs[0] != "#define" {
			continue
		}
		for _, p := range prefixes {
			if name, ok := strings.CutPrefix(fs[1], p); ok {
				if n, err := strconv.Atoi(fs[2]); err == nil {
					nrs[name] = n
				}
			}
		}
	}
	checked := 0
	for _, ty := range event.Types() {
		for _, nr := range tb.Numbers(ty) {
			want, ok := nrs[ty.String()]
			if !ok {
				t.Errorf("%s: %s has no number in %s", tb.Arch, ty, path)
				continue
			}
			if nr != want {
				t.Errorf("%s: %s = %d, header says %d", tb.Arch, ty, nr, want)
			}
			checked++
		}
	}
	if checked < 40 {
		t.Errorf("%s: only %d syscalls checked", tb.Arch, checked)
	}
}

func TestAMD64MatchesHeader(t *testing.T) {
	checkHeader(t, AMD64, "/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "__NR_")
}

func TestARM64MatchesHeader(t *testing.T) {
	checkHeader(t, ARM64, "/usr/include/asm-generic/unistd.h", "__NR_", "__NR3264_")
}

func TestLookup(t *testing.T) {
	if ty, ok := AMD64.Type(257); !ok || ty != event.TypeOpenat {
		t.Errorf("amd64 257 = %v %v, want openat", ty, ok)
	}
	if n := ARM64.Numbers(event.TypeOpen); len(n) != 0 {
		t.Errorf("arm64 has no open, got %v", n)
	}
	if AMD64.Max() >= 512 || ARM64.Max() >= 512 {
		t.Error("syscall numbers must stay below the driver's 512-entry table")
	}
	if _, err := For("mips"); err == nil {
		t.Error("For(mips) must fail")
	}
}
