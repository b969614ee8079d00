package fields

// SyscallSourceName is the source name of system call events.
const SyscallSourceName = "syscall"

// Syscall returns the declared syscall source, without extraction. The
// sensor attaches extraction with [Source.WithExtractors].
func Syscall() *Source {
	return MustSource(SourceOptions{Name: SyscallSourceName, Fields: SyscallFields, EventTypes: SyscallEventTypes})
}

// Table helpers keep the declarations one line each.
func str(name, desc string) Field     { return Field{Name: name, Type: TypeString, Desc: desc} }
func i64(name, desc string) Field     { return Field{Name: name, Type: TypeInt, Desc: desc} }
func u64(name, desc string) Field     { return Field{Name: name, Type: TypeUint, Desc: desc} }
func boolean(name, desc string) Field { return Field{Name: name, Type: TypeBool, Desc: desc} }
func reltime(name, desc string) Field { return Field{Name: name, Type: TypeRelTime, Desc: desc} }
func abstime(name, desc string) Field { return Field{Name: name, Type: TypeAbsTime, Desc: desc} }
func ipaddr(name, desc string) Field  { return Field{Name: name, Type: TypeIPAddr, Desc: desc} }
func ipnet(name, desc string) Field   { return Field{Name: name, Type: TypeIPNet, Desc: desc} }
func port(name, desc string) Field    { return Field{Name: name, Type: TypePort, Desc: desc} }
func list(name, desc string) Field {
	return Field{Name: name, Type: TypeString, Multi: List, Desc: desc}
}
func keyed(f Field, required bool) Field {
	f.Arg, f.ArgRequired = ArgKey, required
	return f
}
func indexed(f Field, required bool) Field {
	f.Arg, f.ArgRequired = ArgIndex, required
	return f
}
func ancestor(f Field) Field {
	f.Arg, f.Multi = ArgIndex, AnyOf
	return f
}

// SyscallFields declares the fields of system call events, named and typed
// as Falco's libsinsp and container plugin declare them.
var SyscallFields = []Field{
	// evt.*: the event itself.
	u64("evt.num", "event sequence number"),
	str("evt.time", "event time as a local time string with nanoseconds"),
	str("evt.time.s", "event time as a local time string without fractions"),
	str("evt.time.iso8601", "event time in ISO 8601 with nanoseconds"),
	str("evt.datetime", "event date and time as a local string"),
	str("evt.datetime.s", "event date and time as a local string without fractions"),
	abstime("evt.rawtime", "event time, nanoseconds since the epoch"),
	u64("evt.rawtime.s", "integer part of the event time in seconds"),
	u64("evt.rawtime.ns", "fractional part of the event time in nanoseconds"),
	reltime("evt.reltime", "time since capture start"),
	reltime("evt.latency", "time between the enter and exit of a system call"),
	str("evt.dir", "event direction: > for enter, < for exit"),
	str("evt.type", "event type name: open, execve, connect, ..."),
	keyed(boolean("evt.type.is", "true when the event type equals the argument"), true),
	str("syscall.type", "system call name; unset for non-syscall events"),
	str("evt.category", "event category: file, net, process, ..."),
	u64("evt.cpu", "CPU the event was captured on"),
	str("evt.args", "all event arguments as one string"),
	keyed(str("evt.arg", "one event argument by name (evt.arg.fd) or index (evt.arg[0]), formatted"), true),
	keyed(str("evt.rawarg", "one event argument by name, unformatted"), true),
	str("evt.info", "event arguments, or a decoded description for I/O events"),
	Field{Name: "evt.buffer", Type: TypeBytes, Desc: "binary data buffer of I/O events"},
	u64("evt.buflen", "length of the data buffer of I/O events"),
	str("evt.res", "event return value: SUCCESS or an errno name such as ENOENT"),
	i64("evt.rawres", "event return value as a number"),
	boolean("evt.failed", "true for events that returned an error"),
	boolean("evt.is_io", "true for events that read or write data"),
	boolean("evt.is_io_read", "true for events that read data"),
	boolean("evt.is_io_write", "true for events that write data"),
	str("evt.io_dir", "r for reads, w for writes"),
	boolean("evt.is_wait", "true for events that make the thread wait"),
	reltime("evt.wait_latency", "time spent waiting by a waiting event"),
	boolean("evt.is_syslog", "true for writes to /dev/log"),
	u64("evt.count", "1 for every event; useful for counting"),
	u64("evt.count.error", "1 for events that returned an error"),
	u64("evt.count.error.file", "1 for file events that returned an error"),
	u64("evt.count.error.net", "1 for network events that returned an error"),
	u64("evt.count.error.memory", "1 for memory events that returned an error"),
	u64("evt.count.error.other", "1 for other events that returned an error"),
	u64("evt.count.exit", "1 for exit events"),
	keyed(str("evt.abspath", "absolute path computed from dirfd and name arguments"), false),
	boolean("evt.is_open_read", "true for open events that open for reading"),
	boolean("evt.is_open_write", "true for open events that open for writing"),
	boolean("evt.is_open_exec", "true for open events that create executable files"),
	boolean("evt.is_open_create", "true for open events that create files"),
	str("evt.hostname", "host name of the machine the event came from"),
	str("evt.source", "event source name"),
	str("evt.pluginname", "name of the plugin that generated the event"),
	str("evt.plugininfo", "summary of the plugin event"),
	str("evt.asynctype", "type of an asynchronous event"),

	// proc.*: the process of the thread that generated the event.
	i64("proc.pid", "process id"),
	str("proc.exe", "first command line argument (argv[0])"),
	str("proc.name", "process name: the kernel comm, at most 15 characters"),
	str("proc.args", "command line arguments after argv[0], space-joined"),
	keyed(str("proc.env", "environment, space-joined; with an argument, one variable"), false),
	str("proc.cmdline", "name and arguments: proc.name proc.args"),
	u64("proc.cmdnargs", "number of command line arguments"),
	u64("proc.cmdlenargs", "total length of the command line arguments"),
	str("proc.exeline", "full command line: proc.exe proc.args"),
	str("proc.cwd", "current working directory"),
	u64("proc.nthreads", "number of threads of the process"),
	u64("proc.nchilds", "number of child threads of the process"),
	i64("proc.ppid", "parent process id"),
	str("proc.pname", "parent process name"),
	str("proc.pcmdline", "parent command line"),
	str("proc.pexe", "parent argv[0]"),
	str("proc.pexepath", "parent executable path"),
	indexed(i64("proc.apid", "pid of the Nth ancestor: proc.apid[1] is the parent"), true),
	ancestor(str("proc.aname", "name of the Nth ancestor; without an index, any ancestor")),
	ancestor(str("proc.aexe", "argv[0] of the Nth ancestor; without an index, any ancestor")),
	ancestor(str("proc.aexepath", "executable path of the Nth ancestor; without an index, any ancestor")),
	ancestor(str("proc.acmdline", "command line of the Nth ancestor; without an index, any ancestor")),
	i64("proc.loginshellid", "pid of the oldest shell among the ancestors"),
	reltime("proc.duration", "time since the process started"),
	reltime("proc.ppid.duration", "time since the parent process started"),
	abstime("proc.pid.ts", "start time of the process"),
	abstime("proc.ppid.ts", "start time of the parent process"),
	u64("proc.fdopencount", "number of open file descriptors"),
	i64("proc.fdlimit", "maximum number of file descriptors"),
	reltime("proc.fdusage", "file descriptors used as a percentage of the limit"),
	u64("proc.vmsize", "total virtual memory in KiB"),
	u64("proc.vmrss", "resident memory in KiB"),
	u64("proc.vmswap", "swapped memory in KiB"),
	u64("proc.pfmajor", "number of major page faults"),
	u64("proc.pfminor", "number of minor page faults"),
	boolean("proc.is_container_healthcheck", "true when the process runs a container healthcheck"),
	boolean("proc.is_container_liveness_probe", "true when the process runs a Kubernetes liveness probe"),
	boolean("proc.is_container_readiness_probe", "true when the process runs a Kubernetes readiness probe"),
	boolean("proc.is_exe_writable", "true when the executable is writable by the process's user"),
	boolean("proc.is_exe_upper_layer", "true when the executable lives in the upper layer of an overlay filesystem"),
	boolean("proc.is_exe_from_memfd", "true when the executable is a memfd"),
	boolean("proc.is_sid_leader", "true when the process is its session leader"),
	boolean("proc.is_vpgid_leader", "true when the process is its process group leader"),
	i64("proc.exe_ino", "inode of the executable"),
	abstime("proc.exe_ino.ctime", "last status change time of the executable"),
	abstime("proc.exe_ino.mtime", "last modification time of the executable"),
	reltime("proc.exe_ino.ctime_duration_proc_start", "time from the executable's ctime to the process start"),
	reltime("proc.exe_ino.ctime_duration_pidns_start", "time from the pid namespace start to the executable's ctime"),
	abstime("proc.pidns_init_start_ts", "start time of the pid namespace's init process"),
	u64("proc.tty", "controlling terminal; 0 for none"),
	i64("proc.sid", "session id"),
	str("proc.sname", "name of the session leader"),
	str("proc.sid.exe", "argv[0] of the session leader"),
	str("proc.sid.exepath", "executable path of the session leader"),
	i64("proc.vpgid", "process group id in the process's pid namespace"),
	str("proc.vpgid.name", "name of the process group leader"),
	str("proc.vpgid.exe", "argv[0] of the process group leader"),
	str("proc.vpgid.exepath", "executable path of the process group leader"),
	i64("proc.pgid", "process group id"),
	str("proc.pgid.name", "name of the process group leader"),
	str("proc.pgid.exe", "argv[0] of the process group leader"),
	str("proc.pgid.exepath", "executable path of the process group leader"),
	i64("proc.vpid", "pid in the process's pid namespace"),
	i64("proc.pvpid", "parent pid in the parent's pid namespace"),
	str("proc.exepath", "full path of the executable"),
	str("proc.stdin.type", "type of file descriptor 0"),
	str("proc.stdout.type", "type of file descriptor 1"),
	str("proc.stderr.type", "type of file descriptor 2"),
	str("proc.stdin.name", "name of file descriptor 0"),
	str("proc.stdout.name", "name of file descriptor 1"),
	str("proc.stderr.name", "name of file descriptor 2"),

	// thread.*: the thread.
	i64("thread.tid", "thread id"),
	boolean("thread.ismain", "true for the main thread of a process"),
	i64("thread.vtid", "thread id in its pid namespace"),
	str("thread.nametid", "thread name and id"),
	reltime("thread.exectime", "CPU time the previous thread slice used"),
	reltime("thread.totexectime", "total CPU time of the thread"),
	str("thread.cgroups", "cgroups of the thread, space-joined"),
	keyed(str("thread.cgroup", "cgroup of the thread in one subsystem"), true),
	str("thread.cap_permitted", "permitted capabilities, space-joined"),
	str("thread.cap_inheritable", "inheritable capabilities, space-joined"),
	str("thread.cap_effective", "effective capabilities, space-joined"),

	// user.* and group.*.
	u64("user.uid", "user id"),
	str("user.name", "user name"),
	str("user.homedir", "home directory"),
	str("user.shell", "login shell"),
	i64("user.loginuid", "audit login user id; -1 when unset"),
	str("user.loginname", "audit login user name"),
	u64("group.gid", "group id"),
	str("group.name", "group name"),

	// fd.*: the file descriptor the event acts on.
	i64("fd.num", "file descriptor number; -1 when the call failed"),
	str("fd.type", "file descriptor type: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, timerfd, netlink, bpf, userfaultfd, io_uring, memfd, pidfd"),
	str("fd.typechar", "one-character fd type: f, 4, 6, u, p, e, s, l, i, b, u, r, m"),
	str("fd.name", "full name: path of files, tuple of sockets"),
	str("fd.directory", "directory of a file"),
	str("fd.filename", "base name of a file"),
	ipaddr("fd.ip", "client or server address of a socket"),
	ipaddr("fd.cip", "client address"),
	ipaddr("fd.sip", "server address"),
	ipaddr("fd.lip", "local address"),
	ipaddr("fd.rip", "remote address"),
	port("fd.port", "client or server port"),
	port("fd.cport", "client port"),
	port("fd.sport", "server port"),
	port("fd.lport", "local port"),
	port("fd.rport", "remote port"),
	str("fd.l4proto", "transport protocol: tcp, udp, icmp, raw"),
	str("fd.sockfamily", "socket family: ip or unix"),
	boolean("fd.is_server", "true when the process is the server end of the connection"),
	str("fd.uid", "unique identifier of the fd: thread id and fd number"),
	str("fd.containername", "container id and fd name"),
	str("fd.containerdirectory", "container id and directory"),
	str("fd.proto", "client or server protocol name"),
	str("fd.cproto", "client protocol name"),
	str("fd.sproto", "server protocol name"),
	str("fd.lproto", "local protocol name"),
	str("fd.rproto", "remote protocol name"),
	ipnet("fd.net", "client or server network; compare with CIDR operands"),
	ipnet("fd.cnet", "client network"),
	ipnet("fd.snet", "server network"),
	ipnet("fd.lnet", "local network"),
	ipnet("fd.rnet", "remote network"),
	boolean("fd.connected", "true when the socket is connected"),
	boolean("fd.name_changed", "true when the event changed the fd's name (connect, accept)"),
	str("fd.cip.name", "domain name of the client address"),
	str("fd.sip.name", "domain name of the server address"),
	str("fd.lip.name", "domain name of the local address"),
	str("fd.rip.name", "domain name of the remote address"),
	u64("fd.dev", "device number of the file"),
	u64("fd.dev.major", "major device number"),
	u64("fd.dev.minor", "minor device number"),
	u64("fd.ino", "inode of the file"),
	str("fd.nameraw", "name of the file as passed to the call, without normalisation"),
	indexed(list("fd.types", "types of the fds the event acts on; with an index, one of them"), false),

	// fs.path.*: paths of file system events.
	str("fs.path.name", "path of a file system operation"),
	str("fs.path.nameraw", "path as passed to the call"),
	str("fs.path.source", "source path of a link or rename"),
	str("fs.path.sourceraw", "source path as passed to the call"),
	str("fs.path.target", "target path of a link or rename"),
	str("fs.path.targetraw", "target path as passed to the call"),

	// container.*: served by the built-in container source.
	str("container.id", "container id, 12 characters; host for the host"),
	str("container.full_id", "full container id"),
	str("container.name", "container name"),
	str("container.image", "container image with tag"),
	str("container.image.id", "container image id"),
	str("container.type", "container runtime: docker, containerd, cri-o, podman, ..."),
	boolean("container.privileged", "true for privileged containers"),
	str("container.mounts", "mounts: source:dest:mode:rdwr:propagation, comma-joined"),
	keyed(str("container.mount", "one mount, by index or destination"), true),
	keyed(str("container.mount.source", "source of a mount, by index or destination"), true),
	keyed(str("container.mount.dest", "destination of a mount, by index or source"), true),
	keyed(str("container.mount.mode", "mode of a mount, by index or source"), true),
	keyed(str("container.mount.rdwr", "read-write flag of a mount"), true),
	keyed(str("container.mount.propagation", "propagation of a mount"), true),
	str("container.image.repository", "container image repository"),
	str("container.image.tag", "container image tag"),
	str("container.image.digest", "container image digest"),
	str("container.healthcheck", "healthcheck command"),
	str("container.liveness_probe", "liveness probe command"),
	str("container.readiness_probe", "readiness probe command"),
	abstime("container.start_ts", "container start time"),
	reltime("container.duration", "time since the container started"),
	str("container.ip", "container's primary address"),
	str("container.cni.json", "CNI result as JSON"),
	boolean("container.host_pid", "true when the container shares the host's pid namespace"),
	boolean("container.host_network", "true when the container shares the host's network namespace"),
	boolean("container.host_ipc", "true when the container shares the host's IPC namespace"),
	keyed(str("container.label", "one container label"), true),
	str("container.labels", "container labels, comma-joined key:value pairs"),

	// k8s.*: Kubernetes metadata of the container.
	str("k8s.pod.name", "pod name"),
	str("k8s.pod.id", "pod uid (deprecated name)"),
	str("k8s.pod.uid", "pod uid"),
	str("k8s.pod.sandbox_id", "pod sandbox id, 12 characters"),
	str("k8s.pod.full_sandbox_id", "pod sandbox id"),
	keyed(str("k8s.pod.label", "one pod label"), true),
	str("k8s.pod.labels", "pod labels, comma-joined key:value pairs"),
	str("k8s.pod.ip", "pod address"),
	str("k8s.pod.cni.json", "pod CNI result as JSON"),
	str("k8s.ns.name", "namespace name"),
	str("k8s.rc.name", "replication controller name"),
	str("k8s.rs.name", "replica set name"),
	str("k8s.svc.name", "service name"),
	str("k8s.deployment.name", "deployment name"),
}

// SyscallEventTypes are the event type names of the syscall source, as
// Falco spells them in evt.type: system calls plus Falco's own events.
var SyscallEventTypes = []string{
	// Files.
	"open", "openat", "openat2", "open_by_handle_at", "creat", "close", "read", "write", "pread", "pwrite",
	"readv", "writev", "preadv", "pwritev", "sendfile", "lseek", "llseek", "stat", "lstat", "fstat",
	"stat64", "lstat64", "fstat64", "newfstatat", "access", "faccessat", "faccessat2", "readlink", "readlinkat",
	"link", "linkat", "symlink", "symlinkat", "unlink", "unlinkat", "rename", "renameat", "renameat2",
	"mkdir", "mkdirat", "rmdir", "chmod", "fchmod", "fchmodat", "chown", "lchown", "fchown", "fchownat",
	"truncate", "ftruncate", "fcntl", "ioctl", "dup", "dup2", "dup3", "pipe", "pipe2", "eventfd", "eventfd2",
	"signalfd", "signalfd4", "timerfd_create", "inotify_init", "inotify_init1", "memfd_create", "getdents",
	"getdents64", "flock", "fsconfig", "mount", "umount", "umount2", "pivot_root", "chroot", "chdir", "fchdir",
	"mknod", "mknodat", "utimensat", "splice", "copy_file_range", "io_uring_setup", "io_uring_enter",
	"io_uring_register", "userfaultfd", "fsopen", "fsmount", "move_mount", "open_tree", "quotactl",
	// Processes.
	"execve", "execveat", "clone", "clone3", "fork", "vfork", "procexit", "exit", "exit_group", "kill", "tkill",
	"tgkill", "ptrace", "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid",
	"setfsgid", "setsid", "setpgid", "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
	"capset", "prctl", "setns", "unshare", "setrlimit", "prlimit", "getrlimit", "seccomp", "bpf",
	"init_module", "finit_module", "delete_module", "mmap", "mmap2", "munmap", "mprotect", "brk", "madvise",
	"mlock", "mlock2", "munlock", "mlockall", "munlockall", "process_vm_readv", "process_vm_writev",
	"pidfd_open", "pidfd_getfd", "nanosleep", "futex", "sched_yield", "wait4", "waitid", "pause",
	"rt_sigaction", "rt_sigprocmask", "signaldeliver", "switch", "page_fault", "reboot",
	"keyctl", "add_key", "request_key", "personality", "syslog", "iopl", "ioperm", "kexec_load",
	"kexec_file_load", "perf_event_open", "uselib", "swapon", "swapoff", "sethostname", "setdomainname",
	"settimeofday", "clock_settime", "adjtimex", "lookup_dcookie", "name_to_handle_at",
	// Network.
	"socket", "socketpair", "connect", "accept", "accept4", "bind", "listen", "shutdown", "sendto", "recvfrom",
	"sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "getsockopt", "setsockopt", "getsockname", "getpeername",
	"poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait",
	"epoll_pwait",
	// Falco's own events.
	"container", "cpu_hotplug", "drop", "infra", "mesos", "k8s", "notification", "tracer", "procinfo",
	"sysdigevent", "plugin", "asyncevent", "container_json",
}
