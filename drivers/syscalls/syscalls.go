// Package syscalls maps native syscall numbers to Saker event types for the
// architectures the driver supports (x86_64 and arm64). The eBPF object is
// architecture neutral: the loader writes the running architecture's table
// into the kernel, so the driver filters and classifies syscalls by number
// without compiled-in tables.
package syscalls

import (
	"fmt"
	"runtime"

	"github.com/sakersec/saker/sensor/event"
)

// Table maps syscall numbers to event types for one architecture.
type Table struct {
	Arch   string // GOARCH name
	byNr   map[int]event.Type
	byType [event.NumTypes][]int
}

// Numbers returns the syscall numbers that produce events of type t (none
// for scheduler-side types such as procexit, or for calls the architecture
// lacks, such as open on arm64).
func (tb *Table) Numbers(t event.Type) []int {
	if t >= event.NumTypes {
		return nil
	}
	return tb.byType[t]
}

// Type returns the event type of syscall nr, or false.
func (tb *Table) Type(nr int) (event.Type, bool) {
	t, ok := tb.byNr[nr]
	return t, ok
}

// Max returns the largest syscall number in the table.
func (tb *Table) Max() int {
	m := 0
	for nr := range tb.byNr {
		m = max(m, nr)
	}
	return m
}

func newTable(arch string, nrs map[event.Type]int) *Table {
	tb := &Table{Arch: arch, byNr: make(map[int]event.Type, len(nrs))}
	for t, nr := range nrs {
		tb.byNr[nr] = t
		tb.byType[t] = append(tb.byType[t], nr)
	}
	return tb
}

// AMD64 is the x86_64 table.
var AMD64 = newTable("amd64", map[event.Type]int{
	event.TypeOpen: 2, event.TypeOpenat: 257, event.TypeOpenat2: 437, event.TypeCreat: 85,
	event.TypeClose: 3, event.TypeDup: 32, event.TypeDup2: 33, event.TypeDup3: 292, event.TypeFcntl: 72,
	event.TypeSocket: 41, event.TypeSocketpair: 53, event.TypeConnect: 42, event.TypeAccept: 43,
	event.TypeAccept4: 288, event.TypeBind: 49, event.TypeListen: 50, event.TypeSendto: 44,
	event.TypeSendmsg: 46, event.TypeRecvfrom: 45, event.TypeRecvmsg: 47, event.TypeExecve: 59,
	event.TypeExecveat: 322, event.TypeClone: 56, event.TypeClone3: 435, event.TypeFork: 57,
	event.TypeVfork: 58, event.TypePtrace: 101, event.TypeLink: 86, event.TypeLinkat: 265,
	event.TypeSymlink: 88, event.TypeSymlinkat: 266, event.TypeUnlink: 87, event.TypeUnlinkat: 263,
	event.TypeRename: 82, event.TypeRenameat: 264, event.TypeRenameat2: 316, event.TypeMkdir: 83,
	event.TypeMkdirat: 258, event.TypeRmdir: 84, event.TypeChmod: 90, event.TypeFchmod: 91,
	event.TypeFchmodat: 268, event.TypeSetuid: 105, event.TypeSetgid: 106, event.TypeSetresuid: 117,
	event.TypeSetresgid: 119, event.TypeMount: 165, event.TypeUmount2: 166, event.TypeMemfdCreate: 319,
	event.TypeInitModule: 175, event.TypeFinitModule: 313, event.TypeBpf: 321, event.TypeSetns: 308,
	event.TypeUnshare: 272, event.TypePrctl: 157, event.TypePipe: 22, event.TypePipe2: 293,
	event.TypeChdir: 80, event.TypeFchdir: 81, event.TypeChroot: 161, event.TypeUserfaultfd: 323,
	event.TypeSetsid: 112, event.TypeSetpgid: 109,
})

// ARM64 is the arm64 table (the generic syscall list: no open, creat,
// dup2, fork, vfork, link, symlink, unlink, rename, mkdir, rmdir, chmod or
// pipe; libc uses the *at and 2/3 variants).
var ARM64 = newTable("arm64", map[event.Type]int{
	event.TypeOpenat: 56, event.TypeOpenat2: 437, event.TypeClose: 57, event.TypeDup: 23,
	event.TypeDup3: 24, event.TypeFcntl: 25, event.TypeSocket: 198, event.TypeSocketpair: 199,
	event.TypeConnect: 203, event.TypeAccept: 202, event.TypeAccept4: 242, event.TypeBind: 200,
	event.TypeListen: 201, event.TypeSendto: 206, event.TypeSendmsg: 211, event.TypeRecvfrom: 207,
	event.TypeRecvmsg: 212, event.TypeExecve: 221, event.TypeExecveat: 281, event.TypeClone: 220,
	event.TypeClone3: 435, event.TypePtrace: 117, event.TypeLinkat: 37, event.TypeSymlinkat: 36,
	event.TypeUnlinkat: 35, event.TypeRenameat: 38, event.TypeRenameat2: 276, event.TypeMkdirat: 34,
	event.TypeFchmod: 52, event.TypeFchmodat: 53, event.TypeSetuid: 146, event.TypeSetgid: 144,
	event.TypeSetresuid: 147, event.TypeSetresgid: 149, event.TypeMount: 40, event.TypeUmount2: 39,
	event.TypeMemfdCreate: 279, event.TypeInitModule: 105, event.TypeFinitModule: 273, event.TypeBpf: 280,
	event.TypeSetns: 268, event.TypeUnshare: 97, event.TypePrctl: 167, event.TypePipe2: 59,
	event.TypeChdir: 49, event.TypeFchdir: 50, event.TypeChroot: 51, event.TypeUserfaultfd: 282,
	event.TypeSetsid: 157, event.TypeSetpgid: 154,
})

// ErrUnsupportedArch reports an architecture without a syscall table.
var ErrUnsupportedArch = fmt.Errorf("unsupported architecture (Saker's driver supports amd64 and arm64)")

// For returns the table of a GOARCH name.
func For(arch string) (*Table, error) {
	switch arch {
	case "amd64":
		return AMD64, nil
	case "arm64":
		return ARM64, nil
	}
	return nil, fmt.Errorf("%s: %w", arch, ErrUnsupportedArch)
}

// Native returns the table of the running architecture.
func Native() (*Table, error) { return For(runtime.GOARCH) }
