/* Event types and the record layout shared with Go.
 *
 * The enum mirrors sensor/event.Type in the same order (a Go test checks
 * it); the record header mirrors sensor/capture's decoder. */
#pragma once

enum saker_type {
	T_UNKNOWN = 0,
	T_OPEN,
	T_OPENAT,
	T_OPENAT2,
	T_CREAT,
	T_CLOSE,
	T_DUP,
	T_DUP2,
	T_DUP3,
	T_FCNTL,
	T_SOCKET,
	T_SOCKETPAIR,
	T_CONNECT,
	T_ACCEPT,
	T_ACCEPT4,
	T_BIND,
	T_LISTEN,
	T_SENDTO,
	T_SENDMSG,
	T_RECVFROM,
	T_RECVMSG,
	T_EXECVE,
	T_EXECVEAT,
	T_CLONE,
	T_CLONE3,
	T_FORK,
	T_VFORK,
	T_PROCEXIT,
	T_PTRACE,
	T_LINK,
	T_LINKAT,
	T_SYMLINK,
	T_SYMLINKAT,
	T_UNLINK,
	T_UNLINKAT,
	T_RENAME,
	T_RENAMEAT,
	T_RENAMEAT2,
	T_MKDIR,
	T_MKDIRAT,
	T_RMDIR,
	T_CHMOD,
	T_FCHMOD,
	T_FCHMODAT,
	T_SETUID,
	T_SETGID,
	T_SETRESUID,
	T_SETRESGID,
	T_MOUNT,
	T_UMOUNT2,
	T_MEMFD_CREATE,
	T_INIT_MODULE,
	T_FINIT_MODULE,
	T_BPF,
	T_SETNS,
	T_UNSHARE,
	T_PRCTL,
	T_PIPE,
	T_PIPE2,
	T_CHDIR,
	T_FCHDIR,
	T_CHROOT,
	T_USERFAULTFD,
	T_SETSID,
	T_SETPGID,
	T_MAX,
};

/* Record header: 64 bytes, little endian, followed by the argument area
 * ((u16 length, bytes) per argument, in sensor/event schema order). */
struct rec_hdr {
	__u64 ts;      /* CLOCK_BOOTTIME ns */
	__s64 res;     /* return value */
	__u32 tid;
	__u32 pid;     /* tgid */
	__u32 ppid;    /* real_parent tgid */
	__u32 uid;     /* euid */
	__u32 gid;     /* egid */
	__s32 syscall; /* native number seen at entry, -1 for scheduler events */
	__u32 cpu;
	__u16 type;    /* enum saker_type */
	__u16 flags;   /* reserved */
	__u8 comm[16];
};
