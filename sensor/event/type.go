package event

// Type is the kind of an event, numbered by Saker (not by Falco's PPME
// codes). The same numbers travel in the kernel records: drivers/bpf/types.h
// must list them in this order (a test checks it).
type Type uint16

// Event types. Names (see [Type.String]) are Falco's evt.type values.
const (
	TypeUnknown Type = iota
	TypeOpen
	TypeOpenat
	TypeOpenat2
	TypeCreat
	TypeClose
	TypeDup
	TypeDup2
	TypeDup3
	TypeFcntl
	TypeSocket
	TypeSocketpair
	TypeConnect
	TypeAccept
	TypeAccept4
	TypeBind
	TypeListen
	TypeSendto
	TypeSendmsg
	TypeRecvfrom
	TypeRecvmsg
	TypeExecve
	TypeExecveat
	TypeClone
	TypeClone3
	TypeFork
	TypeVfork
	TypeProcExit
	TypePtrace
	TypeLink
	TypeLinkat
	TypeSymlink
	TypeSymlinkat
	TypeUnlink
	TypeUnlinkat
	TypeRename
	TypeRenameat
	TypeRenameat2
	TypeMkdir
	TypeMkdirat
	TypeRmdir
	TypeChmod
	TypeFchmod
	TypeFchmodat
	TypeSetuid
	TypeSetgid
	TypeSetresuid
	TypeSetresgid
	TypeMount
	TypeUmount2
	TypeMemfdCreate
	TypeInitModule
	TypeFinitModule
	TypeBpf
	TypeSetns
	TypeUnshare
	TypePrctl
	TypePipe
	TypePipe2
	TypeChdir
	TypeFchdir
	TypeChroot
	TypeUserfaultfd
	TypeSetsid
	TypeSetpgid

	// NumTypes is one more than the largest Type.
	NumTypes
)

var typeNames = [NumTypes]string{
	TypeUnknown:     "unknown",
	TypeOpen:        "open",
	TypeOpenat:      "openat",
	TypeOpenat2:     "openat2",
	TypeCreat:       "creat",
	TypeClose:       "close",
	TypeDup:         "dup",
	TypeDup2:        "dup2",
	TypeDup3:        "dup3",
	TypeFcntl:       "fcntl",
	TypeSocket:      "socket",
	TypeSocketpair:  "socketpair",
	TypeConnect:     "connect",
	TypeAccept:      "accept",
	TypeAccept4:     "accept4",
	TypeBind:        "bind",
	TypeListen:      "listen",
	TypeSendto:      "sendto",
	TypeSendmsg:     "sendmsg",
	TypeRecvfrom:    "recvfrom",
	TypeRecvmsg:     "recvmsg",
	TypeExecve:      "execve",
	TypeExecveat:    "execveat",
	TypeClone:       "clone",
	TypeClone3:      "clone3",
	TypeFork:        "fork",
	TypeVfork:       "vfork",
	TypeProcExit:    "procexit",
	TypePtrace:      "ptrace",
	TypeLink:        "link",
	TypeLinkat:      "linkat",
	TypeSymlink:     "symlink",
	TypeSymlinkat:   "symlinkat",
	TypeUnlink:      "unlink",
	TypeUnlinkat:    "unlinkat",
	TypeRename:      "rename",
	TypeRenameat:    "renameat",
	TypeRenameat2:   "renameat2",
	TypeMkdir:       "mkdir",
	TypeMkdirat:     "mkdirat",
	TypeRmdir:       "rmdir",
	TypeChmod:       "chmod",
	TypeFchmod:      "fchmod",
	TypeFchmodat:    "fchmodat",
	TypeSetuid:      "setuid",
	TypeSetgid:      "setgid",
	TypeSetresuid:   "setresuid",
	TypeSetresgid:   "setresgid",
	TypeMount:       "mount",
	TypeUmount2:     "umount2",
	TypeMemfdCreate: "memfd_create",
	TypeInitModule:  "init_module",
	TypeFinitModule: "finit_module",
	TypeBpf:         "bpf",
	TypeSetns:       "setns",
	TypeUnshare:     "unshare",
	TypePrctl:       "prctl",
	TypePipe:        "pipe",
	TypePipe2:       "pipe2",
	TypeChdir:       "chdir",
	TypeFchdir:      "fchdir",
	TypeChroot:      "chroot",
	TypeUserfaultfd: "userfaultfd",
	TypeSetsid:      "setsid",
	TypeSetpgid:     "setpgid",
}

// String returns Falco's name for the type ("openat", "execve",
// "procexit"); out-of-range values give "unknown".
func (t Type) String() string {
	if t >= NumTypes {
		return "unknown"
	}
	return typeNames[t]
}

// ParseType returns the Type with Falco name s, or false if Saker does not
// capture that event type.
func ParseType(s string) (Type, bool) {
	for i, n := range typeNames {
		if n == s && i != int(TypeUnknown) {
			return Type(i), true
		}
	}
	return TypeUnknown, false
}

// Types returns every capturable type (TypeUnknown excluded), in numeric
// order.
func Types() []Type {
	ts := make([]Type, 0, NumTypes-1)
	for t := Type(1); t < NumTypes; t++ {
		ts = append(ts, t)
	}
	return ts
}

// IsOpen reports whether t opens a file (open, openat, openat2, creat):
// the events evt.is_open_read and evt.is_open_write apply to.
func (t Type) IsOpen() bool {
	return t == TypeOpen || t == TypeOpenat || t == TypeOpenat2 || t == TypeCreat
}

// IsExec reports whether t replaces a process image (execve, execveat).
func (t Type) IsExec() bool { return t == TypeExecve || t == TypeExecveat }

// IsClone reports whether t creates a thread or process (clone, clone3,
// fork, vfork).
func (t Type) IsClone() bool {
	return t == TypeClone || t == TypeClone3 || t == TypeFork || t == TypeVfork
}
