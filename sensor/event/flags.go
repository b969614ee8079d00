package event

// FlagSet names the values of a flags or enum argument, for rendering
// evt.arg.NAME the way Falco does ("O_RDONLY|O_CLOEXEC", "AF_PACKET",
// "PTRACE_ATTACH").
type FlagSet struct {
	// Enum sets match the whole value against one entry; flag sets print
	// every entry whose bits are all set, in table order, clearing the bits
	// of each printed entry (so O_RDWR is not also printed as O_RDONLY|O_WRONLY).
	Enum    bool
	Entries []Flag
}

// Flag is one named value of a [FlagSet]. A zero Value names the empty set
// (O_NONE) and prints only when no other bit is set.
type Flag struct {
	Name  string
	Value uint64
}

// AppendName appends the rendering of v to dst: names joined by '|' for a
// flag set, the matching name for an enum. It appends nothing when no
// entry matches.
func (s *FlagSet) AppendName(dst []byte, v uint64) []byte {
	if s.Enum {
		for i := range s.Entries {
			if s.Entries[i].Value == v {
				return append(dst, s.Entries[i].Name...)
			}
		}
		return dst
	}
	first := true
	rest := v
	for i := range s.Entries {
		f := &s.Entries[i]
		if f.Value == 0 {
			if v != 0 {
				continue
			}
		} else if rest&f.Value != f.Value {
			continue
		}
		if !first {
			dst = append(dst, '|')
		}
		first = false
		dst = append(dst, f.Name...)
		rest &^= f.Value
	}
	return dst
}

// Open flags as Falco encodes them (its PPM_O_* values): the driver
// converts the kernel's architecture-specific O_* bits into these, so
// evt.rawarg.flags matches Falco's on every architecture.
const (
	OpenNone        = 0
	OpenRead        = 1 << 0
	OpenWrite       = 1 << 1
	OpenReadWrite   = OpenRead | OpenWrite
	OpenCreat       = 1 << 2
	OpenAppend      = 1 << 3
	OpenDsync       = 1 << 4
	OpenExcl        = 1 << 5
	OpenNonblock    = 1 << 6
	OpenSync        = 1 << 7
	OpenTrunc       = 1 << 8
	OpenDirect      = 1 << 9
	OpenDirectory   = 1 << 10
	OpenLargefile   = 1 << 11
	OpenCloexec     = 1 << 12
	OpenTmpfile     = 1 << 13
	OpenCreated     = 1 << 14 // the call created the file (O_F_CREATED)
	OpenUpperLayer  = 1 << 15 // the file is on an overlayfs upper layer
	OpenLowerLayer  = 1 << 16 // the file is on an overlayfs lower layer
	openAccessFlags = OpenReadWrite
)

// Exe flags of execve/execveat (evt.arg.flags of an exec event, Falco's
// PPM_EXE_* values).
const (
	ExeWritable   = 1 << 0 // the executable is writable by the caller
	ExeUpperLayer = 1 << 1 // on an overlayfs upper layer
	ExeFromMemfd  = 1 << 2 // a memfd (fileless execution)
	ExeLowerLayer = 1 << 3 // on an overlayfs lower layer
)

// Flag sets used by the argument schemas.
var (
	OpenFlags = FlagSet{Entries: []Flag{
		{"O_LARGEFILE", OpenLargefile}, {"O_DIRECTORY", OpenDirectory}, {"O_DIRECT", OpenDirect},
		{"O_TRUNC", OpenTrunc}, {"O_SYNC", OpenSync}, {"O_NONBLOCK", OpenNonblock}, {"O_EXCL", OpenExcl},
		{"O_DSYNC", OpenDsync}, {"O_APPEND", OpenAppend}, {"O_CREAT", OpenCreat}, {"O_RDWR", OpenReadWrite},
		{"O_WRONLY", OpenWrite}, {"O_RDONLY", OpenRead}, {"O_CLOEXEC", OpenCloexec}, {"O_NONE", OpenNone},
		{"O_TMPFILE", OpenTmpfile}, {"O_F_CREATED", OpenCreated}, {"FD_UPPER_LAYER", OpenUpperLayer},
		{"FD_LOWER_LAYER", OpenLowerLayer},
	}}
	ExeFlags = FlagSet{Entries: []Flag{
		{"EXE_WRITABLE", ExeWritable}, {"EXE_UPPER_LAYER", ExeUpperLayer},
		{"EXE_FROM_MEMFD", ExeFromMemfd}, {"EXE_LOWER_LAYER", ExeLowerLayer},
	}}
	// FDFlags are the Linux O_CLOEXEC/O_NONBLOCK bits of dup3 and pipe2
	// (identical on x86_64 and arm64).
	FDFlags = FlagSet{Entries: []Flag{{"O_CLOEXEC", 0x80000}, {"O_NONBLOCK", 0x800}}}
	// AtFlags are the Linux AT_* bits of *at calls.
	AtFlags = FlagSet{Entries: []Flag{
		{"AT_SYMLINK_NOFOLLOW", 0x100}, {"AT_REMOVEDIR", 0x200}, {"AT_SYMLINK_FOLLOW", 0x400},
		{"AT_EMPTY_PATH", 0x1000},
	}}
	RenameFlags = FlagSet{Entries: []Flag{
		{"RENAME_NOREPLACE", 1}, {"RENAME_EXCHANGE", 2}, {"RENAME_WHITEOUT", 4},
	}}
	ResolveFlags = FlagSet{Entries: []Flag{
		{"RESOLVE_NO_XDEV", 0x1}, {"RESOLVE_NO_MAGICLINKS", 0x2}, {"RESOLVE_NO_SYMLINKS", 0x4},
		{"RESOLVE_BENEATH", 0x8}, {"RESOLVE_IN_ROOT", 0x10}, {"RESOLVE_CACHED", 0x20},
	}}
	CloneFlags = FlagSet{Entries: []Flag{
		{"CLONE_FILES", 0x400}, {"CLONE_FS", 0x200}, {"CLONE_IO", 0x80000000}, {"CLONE_NEWIPC", 0x8000000},
		{"CLONE_NEWNET", 0x40000000}, {"CLONE_NEWNS", 0x20000}, {"CLONE_NEWPID", 0x20000000},
		{"CLONE_NEWUTS", 0x4000000}, {"CLONE_PARENT", 0x8000}, {"CLONE_PARENT_SETTID", 0x100000},
		{"CLONE_PTRACE", 0x2000}, {"CLONE_SIGHAND", 0x800}, {"CLONE_SYSVSEM", 0x40000},
		{"CLONE_THREAD", 0x10000}, {"CLONE_UNTRACED", 0x800000}, {"CLONE_VM", 0x100},
		{"CLONE_NEWUSER", 0x10000000}, {"CLONE_CHILD_CLEARTID", 0x200000}, {"CLONE_CHILD_SETTID", 0x1000000},
		{"CLONE_SETTLS", 0x80000}, {"CLONE_VFORK", 0x4000}, {"CLONE_NEWCGROUP", 0x2000000},
		{"CLONE_PIDFD", 0x1000}, {"CLONE_NEWTIME", 0x80}, {"CLONE_CLEAR_SIGHAND", 0x100000000},
		{"CLONE_INTO_CGROUP", 0x200000000},
	}}
	MountFlags = FlagSet{Entries: []Flag{
		{"RDONLY", 1}, {"NOSUID", 2}, {"NODEV", 4}, {"NOEXEC", 8}, {"SYNCHRONOUS", 16}, {"REMOUNT", 32},
		{"MANDLOCK", 64}, {"DIRSYNC", 128}, {"NOSYMFOLLOW", 256}, {"NOATIME", 1024}, {"NODIRATIME", 2048},
		{"BIND", 4096}, {"MOVE", 8192}, {"REC", 16384}, {"SILENT", 32768}, {"POSIXACL", 1 << 16},
		{"UNBINDABLE", 1 << 17}, {"PRIVATE", 1 << 18}, {"SLAVE", 1 << 19}, {"SHARED", 1 << 20},
		{"RELATIME", 1 << 21}, {"KERNMOUNT", 1 << 22}, {"I_VERSION", 1 << 23}, {"STRICTATIME", 1 << 24},
		{"LAZYTIME", 1 << 25},
	}}
	UmountFlags = FlagSet{Entries: []Flag{
		{"FORCE", 1}, {"DETACH", 2}, {"EXPIRE", 4}, {"NOFOLLOW", 8},
	}}
	MemfdFlags = FlagSet{Entries: []Flag{
		{"MFD_CLOEXEC", 1}, {"MFD_ALLOW_SEALING", 2}, {"MFD_HUGETLB", 4}, {"MFD_NOEXEC_SEAL", 8}, {"MFD_EXEC", 0x10},
	}}
	SocketFamilies = FlagSet{Enum: true, Entries: []Flag{
		{"AF_UNSPEC", 0}, {"AF_UNIX", 1}, {"AF_INET", 2}, {"AF_AX25", 3}, {"AF_IPX", 4}, {"AF_APPLETALK", 5},
		{"AF_NETROM", 6}, {"AF_BRIDGE", 7}, {"AF_ATMPVC", 8}, {"AF_X25", 9}, {"AF_INET6", 10}, {"AF_ROSE", 11},
		{"AF_DECnet", 12}, {"AF_NETBEUI", 13}, {"AF_SECURITY", 14}, {"AF_KEY", 15}, {"AF_NETLINK", 16},
		{"AF_PACKET", 17}, {"AF_ASH", 18}, {"AF_ECONET", 19}, {"AF_ATMSVC", 20}, {"AF_RDS", 21}, {"AF_SNA", 22},
		{"AF_IRDA", 23}, {"AF_PPPOX", 24}, {"AF_WANPIPE", 25}, {"AF_LLC", 26}, {"AF_IB", 27}, {"AF_MPLS", 28},
		{"AF_CAN", 29}, {"AF_TIPC", 30}, {"AF_BLUETOOTH", 31}, {"AF_IUCV", 32}, {"AF_RXRPC", 33},
		{"AF_ISDN", 34}, {"AF_PHONET", 35}, {"AF_IEEE802154", 36}, {"AF_CAIF", 37}, {"AF_ALG", 38},
		{"AF_NFC", 39}, {"AF_VSOCK", 40}, {"AF_KCM", 41}, {"AF_QIPCRTR", 42}, {"AF_SMC", 43}, {"AF_XDP", 44},
		{"AF_MCTP", 45},
	}}
	PtraceRequests = FlagSet{Enum: true, Entries: []Flag{
		{"PTRACE_TRACEME", 0}, {"PTRACE_PEEKTEXT", 1}, {"PTRACE_PEEKDATA", 2}, {"PTRACE_PEEKUSR", 3},
		{"PTRACE_POKETEXT", 4}, {"PTRACE_POKEDATA", 5}, {"PTRACE_POKEUSR", 6}, {"PTRACE_CONT", 7},
		{"PTRACE_KILL", 8}, {"PTRACE_SINGLESTEP", 9}, {"PTRACE_GETREGS", 12}, {"PTRACE_SETREGS", 13},
		{"PTRACE_GETFPREGS", 14}, {"PTRACE_SETFPREGS", 15}, {"PTRACE_ATTACH", 16}, {"PTRACE_DETACH", 17},
		{"PTRACE_GETFPXREGS", 18}, {"PTRACE_SETFPXREGS", 19}, {"PTRACE_SYSCALL", 24},
		{"PTRACE_SETOPTIONS", 0x4200}, {"PTRACE_GETEVENTMSG", 0x4201}, {"PTRACE_GETSIGINFO", 0x4202},
		{"PTRACE_SETSIGINFO", 0x4203}, {"PTRACE_GETREGSET", 0x4204}, {"PTRACE_SETREGSET", 0x4205},
		{"PTRACE_SEIZE", 0x4206}, {"PTRACE_INTERRUPT", 0x4207}, {"PTRACE_LISTEN", 0x4208},
		{"PTRACE_PEEKSIGINFO", 0x4209},
	}}
	PrctlOptions = FlagSet{Enum: true, Entries: []Flag{
		{"PR_SET_PDEATHSIG", 1}, {"PR_GET_PDEATHSIG", 2}, {"PR_GET_DUMPABLE", 3}, {"PR_SET_DUMPABLE", 4},
		{"PR_GET_KEEPCAPS", 7}, {"PR_SET_KEEPCAPS", 8}, {"PR_SET_NAME", 15}, {"PR_GET_NAME", 16},
		{"PR_GET_SECCOMP", 21}, {"PR_SET_SECCOMP", 22}, {"PR_CAPBSET_READ", 23}, {"PR_CAPBSET_DROP", 24},
		{"PR_GET_SECUREBITS", 27}, {"PR_SET_SECUREBITS", 28}, {"PR_SET_MM", 35},
		{"PR_SET_CHILD_SUBREAPER", 36}, {"PR_GET_CHILD_SUBREAPER", 37}, {"PR_SET_NO_NEW_PRIVS", 38},
		{"PR_GET_NO_NEW_PRIVS", 39}, {"PR_CAP_AMBIENT", 47},
	}}
	FcntlCommands = FlagSet{Enum: true, Entries: []Flag{
		{"F_DUPFD", 0}, {"F_GETFD", 1}, {"F_SETFD", 2}, {"F_GETFL", 3}, {"F_SETFL", 4}, {"F_GETLK", 5},
		{"F_SETLK", 6}, {"F_SETLKW", 7}, {"F_SETOWN", 8}, {"F_GETOWN", 9}, {"F_DUPFD_CLOEXEC", 1030},
	}}
	BpfCommands = FlagSet{Enum: true, Entries: []Flag{
		{"BPF_MAP_CREATE", 0}, {"BPF_MAP_LOOKUP_ELEM", 1}, {"BPF_MAP_UPDATE_ELEM", 2},
		{"BPF_MAP_DELETE_ELEM", 3}, {"BPF_MAP_GET_NEXT_KEY", 4}, {"BPF_PROG_LOAD", 5}, {"BPF_OBJ_PIN", 6},
		{"BPF_OBJ_GET", 7}, {"BPF_PROG_ATTACH", 8}, {"BPF_PROG_DETACH", 9}, {"BPF_PROG_TEST_RUN", 10},
		{"BPF_PROG_GET_NEXT_ID", 11}, {"BPF_MAP_GET_NEXT_ID", 12}, {"BPF_PROG_GET_FD_BY_ID", 13},
		{"BPF_MAP_GET_FD_BY_ID", 14}, {"BPF_OBJ_GET_INFO_BY_FD", 15}, {"BPF_PROG_QUERY", 16},
		{"BPF_RAW_TRACEPOINT_OPEN", 17}, {"BPF_BTF_LOAD", 18}, {"BPF_BTF_GET_FD_BY_ID", 19},
		{"BPF_TASK_FD_QUERY", 20}, {"BPF_LINK_CREATE", 28}, {"BPF_LINK_UPDATE", 29},
	}}
)
