package event

// Kind says how an argument is encoded and rendered.
type Kind uint8

// Argument kinds. Scalars travel as 1, 2, 4 or 8 little-endian bytes;
// signed kinds are sign-extended from their width.
const (
	KindInt      Kind = iota // signed integer
	KindUint                 // unsigned integer
	KindFD                   // file descriptor (signed; negative is an error or AT_FDCWD)
	KindPID                  // thread or process id (signed)
	KindUID                  // user id (unsigned)
	KindGID                  // group id (unsigned)
	KindFlags                // bit flags named by the argument's FlagSet
	KindEnum                 // one value named by the argument's FlagSet
	KindMode                 // file mode, rendered in octal
	KindDev                  // device number (new encoding, major<<20|minor), rendered in hex
	KindHex                  // unsigned, rendered in hex (capabilities)
	KindTime                 // nanoseconds since the epoch
	KindPath                 // file system path (bytes, no NUL)
	KindString               // text (bytes, no NUL)
	KindBytes                // opaque buffer
	KindList                 // NUL-separated list (argv, env, cgroups)
	KindSockAddr             // socket address, see [SockAddr]
	KindTuple                // connection tuple, see [Tuple]
)

// Src says where an argument's value lives. Values that the record header
// already carries are not repeated in the argument area.
type Src uint8

// Argument sources.
const (
	SrcRecord Src = iota // the argument area of the record
	SrcRes               // Event.Res (the syscall return value)
	SrcTID               // Event.TID
	SrcPID               // Event.PID
	SrcPPID              // Event.PPID
	SrcUID               // Event.UID
	SrcGID               // Event.GID
	SrcComm              // Event.Comm
)

// ArgInfo describes one argument of an event type.
type ArgInfo struct {
	Name  string   // Falco's argument name (evt.arg.NAME)
	Kind  Kind     // encoding and rendering
	Src   Src      // where the value lives
	Flags *FlagSet // names for KindFlags and KindEnum
}

// MaxArgs bounds the number of arguments of any type.
const MaxArgs = 32

// Schema returns the arguments of type t in Falco's order (the index is N
// of evt.arg[N]). The slice is shared: do not modify it.
func Schema(t Type) []ArgInfo {
	if t >= NumTypes {
		return nil
	}
	return schemas[t].args
}

// RecordArgs returns how many arguments of type t travel in the record's
// argument area (those with Src == SrcRecord), in schema order.
func RecordArgs(t Type) int {
	if t >= NumTypes {
		return 0
	}
	return schemas[t].nrec
}

// ArgIndex returns the schema index of the argument named name for type t,
// or -1. Field extractors resolve it once per type instead of per event.
func ArgIndex(t Type, name string) int {
	for i, a := range Schema(t) {
		if a.Name == name {
			return i
		}
	}
	return -1
}

type schema struct {
	args []ArgInfo
	// rec maps a schema index to its position among the record arguments
	// (-1 for header-sourced arguments).
	rec  [MaxArgs]int8
	nrec int
}

func a(name string, k Kind) ArgInfo { return ArgInfo{Name: name, Kind: k} }
func af(name string, k Kind, fs *FlagSet) ArgInfo {
	return ArgInfo{Name: name, Kind: k, Flags: fs}
}
func hdr(name string, k Kind, s Src) ArgInfo { return ArgInfo{Name: name, Kind: k, Src: s} }

var (
	resArg = hdr("res", KindInt, SrcRes)
	fdRes  = hdr("fd", KindFD, SrcRes)
)

// procArgs are the process description that exec and clone events share
// (Falco's execve/clone exit layout, trimmed to what Saker captures).
func procArgs(res ArgInfo) []ArgInfo {
	return []ArgInfo{
		res,
		a("exe", KindString), // argv[0] as the process saw it
		a("args", KindList),  // argv[1:]
		hdr("tid", KindPID, SrcTID),
		hdr("pid", KindPID, SrcPID),
		hdr("ptid", KindPID, SrcPPID),
		a("cwd", KindPath),
		hdr("comm", KindString, SrcComm),
		// "name=path" items: "cgroup=<v2 path>" first, then "cpu=" and
		// "memory=" for cgroup v1 hierarchies where the host has them.
		a("cgroups", KindList),
	}
}

var schemaArgs = [NumTypes][]ArgInfo{
	TypeUnknown: {resArg},
	TypeOpen:    {fdRes, a("name", KindPath), af("flags", KindFlags, &OpenFlags), a("mode", KindMode), a("dev", KindDev), a("ino", KindUint)},
	TypeOpenat: {fdRes, a("dirfd", KindFD), a("name", KindPath), af("flags", KindFlags, &OpenFlags), a("mode", KindMode),
		a("dev", KindDev), a("ino", KindUint)},
	TypeOpenat2: {fdRes, a("dirfd", KindFD), a("name", KindPath), af("flags", KindFlags, &OpenFlags), a("mode", KindMode),
		af("resolve", KindFlags, &ResolveFlags), a("dev", KindDev), a("ino", KindUint)},
	TypeCreat:      {fdRes, a("name", KindPath), a("mode", KindMode), a("dev", KindDev), a("ino", KindUint)},
	TypeClose:      {resArg, a("fd", KindFD)},
	TypeDup:        {hdr("res", KindFD, SrcRes), a("oldfd", KindFD)},
	TypeDup2:       {hdr("res", KindFD, SrcRes), a("oldfd", KindFD), a("newfd", KindFD)},
	TypeDup3:       {hdr("res", KindFD, SrcRes), a("oldfd", KindFD), a("newfd", KindFD), af("flags", KindFlags, &FDFlags)},
	TypeFcntl:      {hdr("res", KindFD, SrcRes), a("fd", KindFD), af("cmd", KindEnum, &FcntlCommands)},
	TypeSocket:     {fdRes, af("domain", KindEnum, &SocketFamilies), a("type", KindUint), a("proto", KindUint)},
	TypeSocketpair: {resArg, a("fd1", KindFD), a("fd2", KindFD), a("source", KindHex), a("peer", KindHex), af("domain", KindEnum, &SocketFamilies), a("type", KindUint), a("proto", KindUint)},
	// The connect tuple is local -> remote; addr is what the caller passed.
	TypeConnect: {resArg, a("tuple", KindTuple), a("fd", KindFD), a("addr", KindSockAddr)},
	// The accept tuple is remote (source) -> local (destination), as in Falco.
	TypeAccept:   {fdRes, a("tuple", KindTuple), a("fd_listen", KindFD)},
	TypeAccept4:  {fdRes, a("tuple", KindTuple), a("fd_listen", KindFD), af("flags", KindFlags, &FDFlags)},
	TypeBind:     {resArg, a("addr", KindSockAddr), a("fd", KindFD)},
	TypeListen:   {resArg, a("fd", KindFD), a("backlog", KindInt)},
	TypeSendto:   {resArg, a("data", KindBytes), a("fd", KindFD), a("size", KindUint), a("tuple", KindTuple)},
	TypeSendmsg:  {resArg, a("data", KindBytes), a("fd", KindFD), a("size", KindUint), a("tuple", KindTuple)},
	TypeRecvfrom: {resArg, a("data", KindBytes), a("tuple", KindTuple), a("fd", KindFD), a("size", KindUint)},
	TypeRecvmsg:  {resArg, a("size", KindUint), a("data", KindBytes), a("tuple", KindTuple), a("fd", KindFD)},
	TypeExecve:   append(procArgs(resArg), execArgs(a("filename", KindPath))...),
	TypeExecveat: append(procArgs(resArg), execArgs(a("dirfd", KindFD), a("pathname", KindPath))...),
	TypeClone:    append(procArgs(hdr("res", KindPID, SrcRes)), cloneArgs()...),
	TypeClone3:   append(procArgs(hdr("res", KindPID, SrcRes)), cloneArgs()...),
	TypeFork:     append(procArgs(hdr("res", KindPID, SrcRes)), cloneArgs()...),
	TypeVfork:    append(procArgs(hdr("res", KindPID, SrcRes)), cloneArgs()...),
	TypeProcExit: {a("status", KindInt), a("ret", KindInt), a("sig", KindInt), a("core", KindUint), a("reaper_tid", KindPID)},
	TypePtrace:   {resArg, a("addr", KindHex), a("data", KindHex), af("request", KindEnum, &PtraceRequests), a("pid", KindPID)},
	TypeLink:     {resArg, a("oldpath", KindPath), a("newpath", KindPath)},
	TypeLinkat: {resArg, a("olddir", KindFD), a("oldpath", KindPath), a("newdir", KindFD), a("newpath", KindPath),
		af("flags", KindFlags, &AtFlags)},
	TypeSymlink:   {resArg, a("target", KindPath), a("linkpath", KindPath)},
	TypeSymlinkat: {resArg, a("target", KindPath), a("linkdirfd", KindFD), a("linkpath", KindPath)},
	TypeUnlink:    {resArg, a("path", KindPath)},
	TypeUnlinkat:  {resArg, a("dirfd", KindFD), a("name", KindPath), af("flags", KindFlags, &AtFlags)},
	TypeRename:    {resArg, a("oldpath", KindPath), a("newpath", KindPath)},
	TypeRenameat: {resArg, a("olddirfd", KindFD), a("oldpath", KindPath), a("newdirfd", KindFD),
		a("newpath", KindPath)},
	TypeRenameat2: {resArg, a("olddirfd", KindFD), a("oldpath", KindPath), a("newdirfd", KindFD),
		a("newpath", KindPath), af("flags", KindFlags, &RenameFlags)},
	TypeMkdir:       {resArg, a("path", KindPath), a("mode", KindMode)},
	TypeMkdirat:     {resArg, a("dirfd", KindFD), a("path", KindPath), a("mode", KindMode)},
	TypeRmdir:       {resArg, a("path", KindPath)},
	TypeChmod:       {resArg, a("filename", KindPath), a("mode", KindMode)},
	TypeFchmod:      {resArg, a("fd", KindFD), a("mode", KindMode)},
	TypeFchmodat:    {resArg, a("dirfd", KindFD), a("filename", KindPath), a("mode", KindMode)},
	TypeSetuid:      {resArg, a("uid", KindUID)},
	TypeSetgid:      {resArg, a("gid", KindGID)},
	TypeSetresuid:   {resArg, a("ruid", KindUID), a("euid", KindUID), a("suid", KindUID)},
	TypeSetresgid:   {resArg, a("rgid", KindGID), a("egid", KindGID), a("sgid", KindGID)},
	TypeMount:       {resArg, a("dev", KindPath), a("dir", KindPath), a("type", KindString), af("flags", KindFlags, &MountFlags)},
	TypeUmount2:     {resArg, a("name", KindPath), af("flags", KindFlags, &UmountFlags)},
	TypeMemfdCreate: {fdRes, a("name", KindString), af("flags", KindFlags, &MemfdFlags)},
	TypeInitModule:  {resArg, a("img", KindBytes), a("length", KindUint), a("uargs", KindString)},
	TypeFinitModule: {resArg, a("fd", KindFD), a("uargs", KindString), a("flags", KindUint)},
	TypeBpf:         {fdRes, af("cmd", KindEnum, &BpfCommands)},
	TypeSetns:       {resArg, a("fd", KindFD), af("nstype", KindFlags, &CloneFlags)},
	TypeUnshare:     {resArg, af("flags", KindFlags, &CloneFlags)},
	TypePrctl:       {resArg, af("option", KindEnum, &PrctlOptions), a("arg2_str", KindString), a("arg2_int", KindInt)},
	TypePipe:        {resArg, a("fd1", KindFD), a("fd2", KindFD), a("ino", KindUint)},
	TypePipe2:       {resArg, a("fd1", KindFD), a("fd2", KindFD), a("ino", KindUint), af("flags", KindFlags, &FDFlags)},
	TypeChdir:       {resArg, a("path", KindPath)},
	TypeFchdir:      {resArg, a("fd", KindFD)},
	TypeChroot:      {resArg, a("path", KindPath)},
	TypeUserfaultfd: {resArg, a("flags", KindUint)},
	TypeSetsid:      {resArg},
	TypeSetpgid:     {resArg, a("pid", KindPID), a("pgid", KindPID)},
}

// execArgs follows the process description of an exec event: Falco's
// execve exit fields, then the entry arguments (filename, or dirfd and
// pathname for execveat).
func execArgs(entry ...ArgInfo) []ArgInfo {
	return append([]ArgInfo{
		a("env", KindList),
		a("tty", KindUint), // tty device number (major<<20|minor), 0 without a controlling terminal
		a("loginuid", KindUID),
		af("flags", KindFlags, &ExeFlags),
		a("cap_inheritable", KindHex),
		a("cap_permitted", KindHex),
		a("cap_effective", KindHex),
		a("exe_ino", KindUint),
		a("exe_ino_ctime", KindTime),
		a("exe_ino_mtime", KindTime),
		hdr("uid", KindUID, SrcUID),
		a("trusted_exepath", KindPath), // the executable's full path, from the kernel
		hdr("gid", KindGID, SrcGID),
	}, entry...)
}

func cloneArgs() []ArgInfo {
	return []ArgInfo{
		af("flags", KindFlags, &CloneFlags),
		hdr("uid", KindUID, SrcUID),
		hdr("gid", KindGID, SrcGID),
		a("vtid", KindPID),
		a("vpid", KindPID),
	}
}

var schemas = func() (s [NumTypes]schema) {
	for t, args := range schemaArgs {
		if len(args) > MaxArgs {
			panic("event: schema of " + Type(t).String() + " exceeds MaxArgs")
		}
		s[t].args = args
		for i, ai := range args {
			if ai.Src == SrcRecord {
				s[t].rec[i] = int8(s[t].nrec)
				s[t].nrec++
			} else {
				s[t].rec[i] = -1
			}
		}
	}
	return s
}()
