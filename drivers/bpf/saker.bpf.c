// SPDX-License-Identifier: (MIT OR GPL-2.0-only)
/* Saker's syscall capture: CO-RE eBPF for tp_btf (and raw_tracepoint as a
 * fallback) on sys_enter/sys_exit and the sched_process_* tracepoints.
 *
 * sys_enter saves the arguments of interesting syscalls in task storage;
 * sys_exit builds one record with those arguments, the return value and
 * whatever the kernel knows after the call (the new fd's inode, the
 * socket's addresses), and sends it through the "events" ring buffer.
 * Successful execs are reported from sched_process_exec, where the new
 * image (argv, env, exe) is in place; new threads and processes are also
 * reported from sched_process_fork, as Falco's child-side clone event.
 *
 * The code is architecture neutral: user space writes the syscall number
 * -> event type table, and pt_regs access picks x86_64 or arm64 layouts
 * with CO-RE existence checks. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "types.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define AREA_MAX (1 << 16) /* argument area; every type's worst case fits */
#define AREA_MASK (AREA_MAX - 1)
#define STR_MAX 4096 /* one string, path or list argument */
#define STR_MASK (STR_MAX - 1)
/* The environment gets more room: tools correlate processes through it
 * (event-generator's FALCO_EVENT_GENERATOR_TEST_ID comes last). */
#define ENV_MAX 16384
#define CGROUP_MAX 1024
#define PATH_COMPONENTS 48
#define CGROUP_LEVELS 16
#define MAX_SYSCALLS 512

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define FMODE_CREATED 0x100000
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define CAP_DAC_OVERRIDE 1
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

/* Falco's open flags (sensor/event Open* constants). */
#define PPM_O_RDONLY (1 << 0)
#define PPM_O_WRONLY (1 << 1)
#define PPM_O_RDWR (PPM_O_RDONLY | PPM_O_WRONLY)
#define PPM_O_CREAT (1 << 2)
#define PPM_O_APPEND (1 << 3)
#define PPM_O_DSYNC (1 << 4)
#define PPM_O_EXCL (1 << 5)
#define PPM_O_NONBLOCK (1 << 6)
#define PPM_O_SYNC (1 << 7)
#define PPM_O_TRUNC (1 << 8)
#define PPM_O_DIRECT (1 << 9)
#define PPM_O_DIRECTORY (1 << 10)
#define PPM_O_LARGEFILE (1 << 11)
#define PPM_O_CLOEXEC (1 << 12)
#define PPM_O_TMPFILE (1 << 13)
#define PPM_O_F_CREATED (1 << 14)
#define PPM_FD_UPPER_LAYER (1 << 15)
#define PPM_FD_LOWER_LAYER (1 << 16)

#define PPM_EXE_WRITABLE (1 << 0)
#define PPM_EXE_UPPER_LAYER (1 << 1)
#define PPM_EXE_FROM_MEMFD (1 << 2)
#define PPM_EXE_LOWER_LAYER (1 << 3)

/* Set by the loader before loading (constant-folded by the verifier). */
volatile const __u32 ignore_tgid = 0;   /* the sensor itself, 0 = none */
volatile const __u64 wakeup_bytes = 0;  /* wake the reader past this much data; 0 = every record */
volatile const __u32 arch_arm64 = 0;    /* open flag layout */

/* Syscall number -> enum saker_type (0 = not captured), written by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, __u16);
} syscall_types SEC(".maps");

/* enum saker_type -> enabled, for the scheduler-side events. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 128); /* >= T_MAX */
	__type(key, __u32);
	__type(value, __u8);
} type_enabled SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* the loader sets the size */
} events SEC(".maps");

/* Records lost because the ring buffer was full. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* Syscall arguments saved at sys_enter, per task. */
struct entry {
	__u64 args[6];
	__u64 extra;  /* clone3 flags, openat2 resolve */
	__u64 extra2; /* openat2 flags */
	__u64 extra3; /* openat2 mode */
	__s32 nr;
	__u16 type;
	__u8 active;
	__u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct entry);
} entries SEC(".maps");

/* Per-CPU record under construction (an array indexed by CPU: too big for
 * a per-CPU map). The loader sizes it to the number of possible CPUs. */
struct scratch {
	struct rec_hdr hdr;
	__u8 area[AREA_MAX * 2]; /* doubled so that masked offsets + bounded sizes stay inside */
	__u8 tmp[STR_MAX * 2];   /* paths are assembled backwards here */
	__u8 name[128];          /* one kernfs name (cgroup_step); off the stack, which
				  * kernels without private BPF stacks (arm64, x86 before
				  * 6.13) cap at 512 bytes over the whole call chain */
	struct entry regs_entry; /* sys_exit's arguments read from the registers, off the stack too */
	__u32 pos;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* the loader sets the number of CPUs */
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

/* pt_regs flavours for argument access on either architecture. */
struct pt_regs___x86 {
	unsigned long di, si, dx, r10, r8, r9, orig_ax;
} __attribute__((preserve_access_index));

struct pt_regs___arm64 {
	__u64 regs[31];
	__u64 orig_x0;
	__s32 syscallno;
} __attribute__((preserve_access_index));

/* bpf_rdonly_cast (6.2+) turns an address into a BTF pointer, so chains
 * of fields become plain loads instead of one helper call each. Older
 * kernels take the probe-read path. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;
#define have_rdonly_cast() (bpf_rdonly_cast != NULL)

/* Field names that changed across kernel versions. */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

struct inode___v66 {
	struct timespec64 __i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

struct inode___old {
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

/* regs is a BTF pointer (the tp_btf argument, or bpf_task_pt_regs), so
 * these are plain loads, not helper calls. */
static __always_inline __u64 reg_arg(struct pt_regs *regs, int i, int at_exit)
{
	if (bpf_core_field_exists(((struct pt_regs___x86 *)0)->di)) {
		struct pt_regs___x86 *r = (void *)regs;
		switch (i) {
		case 0: return r->di;
		case 1: return r->si;
		case 2: return r->dx;
		case 3: return r->r10;
		case 4: return r->r8;
		default: return r->r9;
		}
	}
	struct pt_regs___arm64 *r = (void *)regs;
	switch (i) {
	case 0: return at_exit ? r->orig_x0 : r->regs[0];
	case 1: return r->regs[1];
	case 2: return r->regs[2];
	case 3: return r->regs[3];
	case 4: return r->regs[4];
	default: return r->regs[5];
	}
}

static __always_inline long reg_nr(struct pt_regs *regs)
{
	if (bpf_core_field_exists(((struct pt_regs___x86 *)0)->orig_ax))
		return ((struct pt_regs___x86 *)(void *)regs)->orig_ax;
	return ((struct pt_regs___arm64 *)(void *)regs)->syscallno;
}

static __always_inline struct scratch *get_scratch(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &cpu);
	if (s)
		s->pos = 0;
	return s;
}

static __always_inline int type_on(__u32 t)
{
	__u8 *on = bpf_map_lookup_elem(&type_enabled, &t);
	return on && *on;
}

/* ---- argument encoders ---- */

static __always_inline void put_u64(struct scratch *s, __u64 v)
{
	__u32 p = s->pos & AREA_MASK;
	__u16 n = 8;
	__builtin_memcpy(&s->area[p], &n, 2);
	__builtin_memcpy(&s->area[p + 2], &v, 8);
	s->pos = p + 10;
}

static __always_inline void put_empty(struct scratch *s)
{
	__u32 p = s->pos & AREA_MASK;
	__u16 n = 0;
	__builtin_memcpy(&s->area[p], &n, 2);
	s->pos = p + 2;
}

static __always_inline void put_len(struct scratch *s, __u32 p, long n)
{
	__u16 l = n;
	__builtin_memcpy(&s->area[p & AREA_MASK], &l, 2);
	s->pos = (p & AREA_MASK) + 2 + (n & (AREA_MAX - 1));
}

/* A NUL-terminated user string, stored without the NUL. */
static __always_inline void put_user_str(struct scratch *s, const void *uptr)
{
	__u32 p = s->pos & AREA_MASK;
	long n = 0;
	if (uptr)
		n = bpf_probe_read_user_str(&s->area[p + 2], STR_MAX, uptr);
	n = n > 0 ? n - 1 : 0;
	put_len(s, p, n & STR_MASK);
}

static __always_inline void put_kernel_str(struct scratch *s, const void *kptr, __u32 max)
{
	__u32 p = s->pos & AREA_MASK;
	long n = 0;
	if (kptr)
		n = bpf_probe_read_kernel_str(&s->area[p + 2], max & (STR_MAX * 2 - 1), kptr);
	n = n > 0 ? n - 1 : 0;
	put_len(s, p, n & STR_MASK);
}

/* A block of user memory [start, end), truncated to max - 1 bytes (max a
 * power of two). */
static __always_inline void put_user_block(struct scratch *s, __u64 start, __u64 end, __u32 max)
{
	__u32 p = s->pos & AREA_MASK;
	__u64 n = 0;
	if (start && end > start) {
		n = end - start;
		if (n > max - 1)
			n = max - 1;
		n &= max - 1;
		if (bpf_probe_read_user(&s->area[p + 2], n, (void *)start) != 0)
			n = 0;
	}
	put_len(s, p, n);
}

/* ---- kernel object helpers ---- */

static __always_inline __u32 encode_dev(__u32 dev)
{
	__u32 major = dev >> 20, minor = dev & 0xfffff;
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

/* t is a BTF pointer: the walk to the fd array is plain loads. */
static __always_inline struct file *fd_file(struct task_struct *t, long fd)
{
	if (fd < 0)
		return NULL;
	struct files_struct *files = t->files;
	if (!files)
		return NULL;
	struct fdtable *fdt = files->fdt;
	if (!fdt)
		return NULL;
	if ((unsigned long)fd >= fdt->max_fds)
		return NULL;
	struct file **fds = fdt->fd;
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline struct sock *fd_sock(struct task_struct *t, long fd)
{
	struct file *f = fd_file(t, fd);
	if (!f)
		return NULL;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	struct socket *so = BPF_CORE_READ(f, private_data);
	return so ? BPF_CORE_READ(so, sk) : NULL;
}

/* Path walks run under bpf_loop so the verifier checks one iteration,
 * not every combination of branches across iterations. */
struct dpath_ctx {
	struct scratch *s;
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	struct dentry *mnt_root;
	__u32 pos;
};

static long dpath_step(__u64 i, void *arg)
{
	struct dpath_ctx *c = arg;
	struct scratch *s = c->s;
	/* Locals: BPF_CORE_READ on c->field would relocate dpath_ctx itself. */
	struct dentry *dentry = c->dentry;
	struct mount *mnt = c->mnt;
	if (dentry == c->mnt_root) {
		struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);
		if (parent == mnt || !parent)
			return 1;
		struct vfsmount *vfsmnt = (void *)parent + bpf_core_field_offset(struct mount, mnt);
		c->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		c->mnt = parent;
		c->vfsmnt = vfsmnt;
		c->mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
		return 0;
	}
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	if (!parent)
		return 1;
	/* A disconnected dentry (memfd, pipe, anonymous inode) is its own
	 * parent: its name is the whole path, as d_path shows it. */
	int last = parent == dentry;
	struct qstr name = BPF_CORE_READ(dentry, d_name);
	__u32 len = name.len;
	__u32 pos = c->pos;
	if (len == 0 || len + 1 > pos)
		return 1;
	pos -= len;
	bpf_probe_read_kernel(&s->tmp[pos & STR_MASK], len & STR_MASK, name.name);
	pos -= 1;
	s->tmp[pos & STR_MASK] = '/';
	c->pos = pos;
	c->dentry = parent;
	return last;
}

/* Assembles the path of (dentry, vfsmnt) backwards into s->tmp and copies
 * it into the argument area. */
static __noinline void put_dpath(struct scratch *s, struct dentry *dentry, struct vfsmount *vfsmnt)
{
	__u32 end = STR_MAX - 1;
	if (!dentry || !vfsmnt) {
		put_empty(s);
		return;
	}
	struct dpath_ctx c = {
		.s = s,
		.dentry = dentry,
		.vfsmnt = vfsmnt,
		.mnt = (void *)vfsmnt - bpf_core_field_offset(struct mount, mnt),
		.mnt_root = BPF_CORE_READ(vfsmnt, mnt_root),
		.pos = end,
	};
	bpf_loop(PATH_COMPONENTS, dpath_step, &c, 0);
	__u32 pos = c.pos;
	if (pos == end) {
		pos -= 1;
		s->tmp[pos & STR_MASK] = '/';
	}
	__u32 p = s->pos & AREA_MASK;
	__u32 n = (end - pos) & STR_MASK;
	bpf_probe_read_kernel(&s->area[p + 2], n, &s->tmp[pos & STR_MASK]);
	put_len(s, p, n);
}

static __always_inline void put_file_path(struct scratch *s, struct file *f)
{
	if (!f) {
		put_empty(s);
		return;
	}
	put_dpath(s, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt));
}

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

struct cgroup_ctx {
	struct scratch *s;
	struct kernfs_node *kn;
	__u32 pos;
};

static long cgroup_step(__u64 i, void *arg)
{
	struct cgroup_ctx *c = arg;
	struct scratch *s = c->s;
	struct kernfs_node *kn = c->kn;
	if (!kn)
		return 1;
	struct kernfs_node *parent = kn_parent(kn);
	if (!parent)
		return 1; /* the root's name is empty */
	const char *name = BPF_CORE_READ(kn, name);
	/* Container scopes are long: "cri-containerd-<64 hex>.scope". */
	__u8 *buf = s->name;
	long n = bpf_probe_read_kernel_str(buf, sizeof(s->name), name);
	__u32 pos = c->pos;
	if (n <= 1 || n > 128 || (__u32)n > pos)
		return 1;
	n -= 1;
	pos -= n;
	bpf_probe_read_kernel(&s->tmp[pos & STR_MASK], n & 127, buf);
	pos -= 1;
	s->tmp[pos & STR_MASK] = '/';
	c->pos = pos;
	c->kn = parent;
	return 0;
}

/* Appends "prefix<path of kn>\0" at area offset q; returns the new offset. */
static __always_inline __u32 append_cgroup(struct scratch *s, __u32 q, const char *prefix, __u32 plen, struct kernfs_node *kn)
{
	__u32 end = STR_MAX - 1;
	struct cgroup_ctx c = {.s = s, .kn = kn, .pos = end};
	bpf_loop(CGROUP_LEVELS, cgroup_step, &c, 0);
	__u32 pos = c.pos;
	if (pos == end) {
		pos -= 1;
		s->tmp[pos & STR_MASK] = '/';
	}
	bpf_probe_read_kernel(&s->area[q & AREA_MASK], plen & 15, prefix);
	q += plen;
	__u32 n = (end - pos) & (CGROUP_MAX - 1);
	bpf_probe_read_kernel(&s->area[q & AREA_MASK], n, &s->tmp[pos & STR_MASK]);
	q += n;
	s->area[q & AREA_MASK] = 0;
	return q + 1;
}

static __always_inline struct cgroup *subsys_cgroup(struct css_set *cs, __u32 id)
{
	struct cgroup_subsys_state *css = NULL;
	bpf_probe_read_kernel(&css, sizeof(css), __builtin_preserve_access_index(&cs->subsys[id & 15]));
	return css ? BPF_CORE_READ(css, cgroup) : NULL;
}

/* cgroups: "cgroup=<cgroup v2 path>", then, on hosts with cgroup v1
 * hierarchies (where containers live in those), "cpu=<path>" and
 * "memory=<path>" when they differ from the v2 cgroup. */
static __noinline void put_cgroups(struct scratch *s, struct task_struct *t)
{
	struct css_set *cs = BPF_CORE_READ(t, cgroups);
	struct cgroup *dfl = BPF_CORE_READ(cs, dfl_cgrp);
	__u32 p = s->pos & AREA_MASK;
	__u32 q = p + 2;
	const char v2[] = "cgroup=";
	q = append_cgroup(s, q, v2, 7, BPF_CORE_READ(dfl, kn));
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpu_cgrp_id)) {
		struct cgroup *cg = subsys_cgroup(cs, bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id));
		const char name[] = "cpu=";
		if (cg && cg != dfl)
			q = append_cgroup(s, q, name, 4, BPF_CORE_READ(cg, kn));
	}
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id)) {
		struct cgroup *cg = subsys_cgroup(cs, bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id));
		const char name[] = "memory=";
		if (cg && cg != dfl)
			q = append_cgroup(s, q, name, 7, BPF_CORE_READ(cg, kn));
	}
	put_len(s, p, (q - p - 2) & (STR_MAX * 4 - 1));
}

static __always_inline int inode_upper(struct inode *ino, int *on_overlay)
{
	*on_overlay = 0;
	if (!ino)
		return 0;
	unsigned long magic = BPF_CORE_READ(ino, i_sb, s_magic);
	if (magic != OVERLAYFS_SUPER_MAGIC)
		return 0;
	*on_overlay = 1;
	struct ovl_inode *oi = (void *)ino - bpf_core_field_offset(struct ovl_inode, vfs_inode);
	return BPF_CORE_READ(oi, __upperdentry) != NULL;
}

/* Socket addresses. */
struct addr {
	__u8 family;
	__u8 ip[16];
	__u16 port; /* network order */
};

static __always_inline void put_raw(struct scratch *s, __u32 *p, const void *src, __u32 n)
{
	bpf_probe_read_kernel(&s->area[*p & (AREA_MAX * 2 - 1)], n & 63, src);
	*p += n;
}

/* A unix socket path at area offset q; returns its length. plen is the
 * sun_path length the caller gave (addrlen - 2) or the kernel recorded.
 * An abstract name (leading NUL) is written as "@name", as Falco shows
 * it; a path stops at its NUL. */
static __always_inline __u32 put_unix_path(struct scratch *s, __u32 q, const char *path, __u64 plen, int user)
{
	char first = 0;
	if (user)
		bpf_probe_read_user(&first, 1, path);
	else
		bpf_probe_read_kernel(&first, 1, path);
	if (first == 0) {
		if (plen < 2)
			return 0;
		__u32 n = plen - 1;
		if (n > 107)
			n = 107;
		barrier_var(n); /* keep the bound on the register the helper gets */
		s->area[q & (AREA_MAX * 2 - 1)] = '@';
		long err = user ? bpf_probe_read_user(&s->area[(q + 1) & AREA_MASK], n & 127, path + 1)
				: bpf_probe_read_kernel(&s->area[(q + 1) & AREA_MASK], n & 127, path + 1);
		return err ? 0 : 1 + n;
	}
	long n = user ? bpf_probe_read_user_str(&s->area[q & AREA_MASK], 108, path)
		      : bpf_probe_read_kernel_str(&s->area[q & AREA_MASK], 108, path);
	return n > 0 ? n - 1 : 0;
}

/* Reads a user sockaddr; 0 when there is none. */
static __always_inline int read_user_addr(const void *uptr, __u64 ulen, struct addr *a, const char **upath)
{
	if (!uptr || ulen < 2)
		return 0;
	__u16 family = 0;
	bpf_probe_read_user(&family, 2, uptr);
	a->family = family;
	if (family == AF_INET) {
		struct sockaddr_in sin = {};
		bpf_probe_read_user(&sin, sizeof(sin), uptr);
		__builtin_memcpy(a->ip, &sin.sin_addr, 4);
		a->port = sin.sin_port;
		return 1;
	}
	if (family == AF_INET6) {
		struct sockaddr_in6 sin6 = {};
		bpf_probe_read_user(&sin6, sizeof(sin6), uptr);
		__builtin_memcpy(a->ip, &sin6.sin6_addr, 16);
		a->port = sin6.sin6_port;
		return 1;
	}
	if (family == AF_UNIX) {
		*upath = (const char *)uptr + 2;
		return 1;
	}
	return 1;
}

static __always_inline void put_addr(struct scratch *s, const void *uptr, __u64 ulen)
{
	struct addr a = {};
	const char *upath = NULL;
	if (!read_user_addr(uptr, ulen, &a, &upath)) {
		put_empty(s);
		return;
	}
	__u32 p = s->pos & AREA_MASK;
	__u32 q = p + 2;
	s->area[q & (AREA_MAX * 2 - 1)] = a.family;
	q++;
	if (a.family == AF_INET) {
		put_raw(s, &q, a.ip, 4);
		put_raw(s, &q, &a.port, 2);
	} else if (a.family == AF_INET6) {
		put_raw(s, &q, a.ip, 16);
		put_raw(s, &q, &a.port, 2);
	} else if (a.family == AF_UNIX) {
		q += put_unix_path(s, q, upath, ulen - 2, 1);
	}
	put_len(s, p, (q - p - 2) & 255);
}

/* Tuple of a socket. local_first: local -> remote (connect, send), else
 * remote -> local (accept, receive). A remote address given by the caller
 * (sendto's dest_addr, recvfrom's src_addr) replaces the socket's peer. */
static __always_inline void put_tuple(struct scratch *s, struct sock *sk, int local_first, const void *uaddr, __u64 ulen)
{
	if (!sk) {
		put_empty(s);
		return;
	}
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	struct addr local = {}, remote = {};
	const char *upath = NULL;
	__u32 p = s->pos & AREA_MASK;
	__u32 q = p + 2;

	if (family == AF_INET || family == AF_INET6) {
		__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		local.port = __builtin_bswap16(lport);
		remote.port = BPF_CORE_READ(sk, __sk_common.skc_dport);
		__u32 alen = 4;
		if (family == AF_INET) {
			__u32 la = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
			__u32 ra = BPF_CORE_READ(sk, __sk_common.skc_daddr);
			__builtin_memcpy(local.ip, &la, 4);
			__builtin_memcpy(remote.ip, &ra, 4);
		} else {
			alen = 16;
			BPF_CORE_READ_INTO(&local.ip, sk, __sk_common.skc_v6_rcv_saddr);
			BPF_CORE_READ_INTO(&remote.ip, sk, __sk_common.skc_v6_daddr);
		}
		struct addr ua = {};
		if (read_user_addr(uaddr, ulen, &ua, &upath) && ua.family == family) {
			__builtin_memcpy(remote.ip, ua.ip, 16);
			remote.port = ua.port;
		}
		s->area[q & (AREA_MAX * 2 - 1)] = family;
		q++;
		struct addr *first = local_first ? &local : &remote;
		struct addr *second = local_first ? &remote : &local;
		if (alen == 4) {
			put_raw(s, &q, first->ip, 4);
			put_raw(s, &q, &first->port, 2);
			put_raw(s, &q, second->ip, 4);
			put_raw(s, &q, &second->port, 2);
		} else {
			put_raw(s, &q, first->ip, 16);
			put_raw(s, &q, &first->port, 2);
			put_raw(s, &q, second->ip, 16);
			put_raw(s, &q, &second->port, 2);
		}
		put_len(s, p, (q - p - 2) & 255);
		return;
	}
	if (family == AF_UNIX) {
		struct unix_sock *us = (void *)sk;
		struct sock *peer = BPF_CORE_READ(us, peer);
		__u64 self = (__u64)sk, other = (__u64)peer;
		s->area[q & (AREA_MAX * 2 - 1)] = AF_UNIX;
		q++;
		put_raw(s, &q, local_first ? &self : &other, 8);
		put_raw(s, &q, local_first ? &other : &self, 8);
		struct addr ua = {};
		if (read_user_addr(uaddr, ulen, &ua, &upath) && ua.family == AF_UNIX) {
			q += put_unix_path(s, q, upath, ulen - 2, 1);
		} else {
			struct unix_address *addr = BPF_CORE_READ(us, addr);
			if (!addr && peer)
				addr = BPF_CORE_READ((struct unix_sock *)peer, addr);
			if (addr) {
				int alen = BPF_CORE_READ(addr, len);
				q += put_unix_path(s, q, __builtin_preserve_access_index(&addr->name[0].sun_path[0]),
						   alen > 2 ? alen - 2 : 0, 0);
			}
		}
		put_len(s, p, (q - p - 2) & 255);
		return;
	}
	s->area[q & (AREA_MAX * 2 - 1)] = family;
	put_len(s, p, 1);
}

/* ---- record header and emission ---- */

/* t must be a BTF pointer (current task, or a tp_btf argument). */
static __always_inline void fill_hdr(struct scratch *s, struct task_struct *t, __u16 type, __s32 nr, __s64 res)
{
	struct rec_hdr *h = &s->hdr;
	h->ts = bpf_ktime_get_boot_ns();
	h->res = res;
	h->tid = t->pid;
	h->pid = t->tgid;
	h->ppid = t->real_parent->tgid;
	const struct cred *cred = t->cred;
	h->uid = cred->euid.val;
	h->gid = cred->egid.val;
	h->syscall = nr;
	h->cpu = bpf_get_smp_processor_id();
	h->type = type;
	h->flags = 0;
	__builtin_memcpy(h->comm, t->comm, sizeof(h->comm));
}

static __always_inline void emit(struct scratch *s)
{
	__u64 size = sizeof(struct rec_hdr) + (s->pos & (AREA_MAX * 2 - 1));
	if (size > sizeof(struct rec_hdr) + AREA_MAX)
		size = sizeof(struct rec_hdr) + AREA_MAX;
	/* A wake-up costs an irq_work (an IPI: microseconds in a VM), so the
	 * reader is woken only when the pending data crosses the threshold;
	 * above it the reader is busy draining, below it its periodic poll
	 * finds the records. */
	__u64 flags = BPF_RB_FORCE_WAKEUP;
	if (wakeup_bytes) {
		__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
		flags = avail < wakeup_bytes && avail + size >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	}
	if (bpf_ringbuf_output(&events, s, size, flags) != 0) {
		__u32 zero = 0;
		__u64 *d = bpf_map_lookup_elem(&drops, &zero);
		if (d)
			*d += 1;
	}
}

/* ---- process description (exec and clone events) ---- */

static __always_inline void put_argv(struct scratch *s, struct mm_struct *mm)
{
	__u64 start = BPF_CORE_READ(mm, arg_start), end = BPF_CORE_READ(mm, arg_end);
	/* exe: argv[0] */
	__u32 p = s->pos & AREA_MASK;
	long n = 0;
	if (start)
		n = bpf_probe_read_user_str(&s->area[p + 2], STR_MAX, (void *)start);
	long l = n > 0 ? n - 1 : 0;
	put_len(s, p, l & STR_MASK);
	/* args: argv[1:] */
	put_user_block(s, n > 0 ? start + n : 0, end, STR_MAX);
}

/* exe, args, cwd, cgroups (tid, pid, ptid and comm come from the header). */
static __always_inline void put_proc(struct scratch *s, struct task_struct *t)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	if (mm) {
		put_argv(s, mm);
	} else {
		put_empty(s);
		put_empty(s);
	}
	put_dpath(s, BPF_CORE_READ(t, fs, pwd.dentry), BPF_CORE_READ(t, fs, pwd.mnt));
	put_cgroups(s, t);
}

static __always_inline __u64 inode_time(struct inode *ino, int ctime)
{
	if (bpf_core_field_exists(ino->i_ctime_sec)) {
		/* Multigrain timestamps keep a "queried" flag in bit 31 of the
		 * nanoseconds (I_CTIME_QUERIED); nanoseconds fit in 30 bits. */
		if (ctime)
			return BPF_CORE_READ(ino, i_ctime_sec) * 1000000000ull + (BPF_CORE_READ(ino, i_ctime_nsec) & 0x3fffffff);
		return BPF_CORE_READ(ino, i_mtime_sec) * 1000000000ull + (BPF_CORE_READ(ino, i_mtime_nsec) & 0x3fffffff);
	}
	struct timespec64 ts = {};
	if (bpf_core_field_exists(((struct inode___v66 *)ino)->__i_ctime)) {
		if (ctime)
			ts = BPF_CORE_READ((struct inode___v66 *)ino, __i_ctime);
		else
			ts = BPF_CORE_READ((struct inode___v66 *)ino, i_mtime);
	} else {
		if (ctime)
			ts = BPF_CORE_READ((struct inode___old *)ino, i_ctime);
		else
			ts = BPF_CORE_READ((struct inode___old *)ino, i_mtime);
	}
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static __always_inline __u32 tty_of(struct task_struct *t)
{
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	if (!tty)
		return 0;
	int index = BPF_CORE_READ(tty, index);
	int major = BPF_CORE_READ(tty, driver, major);
	int minor = BPF_CORE_READ(tty, driver, minor_start);
	return encode_dev(((__u32)major << 20) | (__u32)(minor + index));
}

/* The exec-only part: env, tty, loginuid, flags, caps, exe inode, exe path,
 * then filename (execve) or dirfd, pathname (execveat). */
static __always_inline void put_exec(struct scratch *s, struct task_struct *t, __u16 type, struct entry *e, const char *kfilename)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	if (mm)
		put_user_block(s, BPF_CORE_READ(mm, env_start), BPF_CORE_READ(mm, env_end), ENV_MAX);
	else
		put_empty(s);
	put_u64(s, tty_of(t));
	put_u64(s, BPF_CORE_READ(t, loginuid.val));

	struct file *exe = mm ? BPF_CORE_READ(mm, exe_file) : NULL;
	struct inode *ino = exe ? BPF_CORE_READ(exe, f_inode) : NULL;
	__u64 cap_inh = 0, cap_perm = 0, cap_eff = 0;
	const struct cred *cred = BPF_CORE_READ(t, cred);
	bpf_core_read(&cap_inh, 8, &cred->cap_inheritable);
	bpf_core_read(&cap_perm, 8, &cred->cap_permitted);
	bpf_core_read(&cap_eff, 8, &cred->cap_effective);

	__u32 flags = 0;
	if (ino) {
		/* Writable by the caller: DAC override, or a write bit for the
		 * caller's uid/gid/others. */
		umode_t mode = BPF_CORE_READ(ino, i_mode);
		__u32 iuid = BPF_CORE_READ(ino, i_uid.val), igid = BPF_CORE_READ(ino, i_gid.val);
		__u32 fsuid = BPF_CORE_READ(cred, fsuid.val), fsgid = BPF_CORE_READ(cred, fsgid.val);
		if ((cap_eff & (1ull << CAP_DAC_OVERRIDE)) || (mode & 0002) || (iuid == fsuid && (mode & 0200)) ||
		    (igid == fsgid && (mode & 0020)))
			flags |= PPM_EXE_WRITABLE;
		int overlay = 0;
		if (inode_upper(ino, &overlay))
			flags |= PPM_EXE_UPPER_LAYER;
		else if (overlay)
			flags |= PPM_EXE_LOWER_LAYER;
		/* memfd: an unlinked file named "memfd:..." */
		unsigned int nlink = BPF_CORE_READ(ino, __i_nlink);
		char name[6] = {};
		bpf_probe_read_kernel(name, 6, BPF_CORE_READ(exe, f_path.dentry, d_name.name));
		if (nlink == 0 && name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' &&
		    name[4] == 'd' && name[5] == ':')
			flags |= PPM_EXE_FROM_MEMFD;
	}
	put_u64(s, flags);
	put_u64(s, cap_inh);
	put_u64(s, cap_perm);
	put_u64(s, cap_eff);
	put_u64(s, ino ? BPF_CORE_READ(ino, i_ino) : 0);
	put_u64(s, ino ? inode_time(ino, 1) : 0);
	put_u64(s, ino ? inode_time(ino, 0) : 0);
	put_file_path(s, exe);

	if (type == T_EXECVEAT)
		put_u64(s, (__s64)(int)e->args[0]);
	if (kfilename)
		put_kernel_str(s, kfilename, STR_MAX);
	else
		put_user_str(s, (void *)e->args[type == T_EXECVEAT ? 1 : 0]);
}

static __always_inline __s64 pid_vnr(struct task_struct *t, int group)
{
	struct pid *pid = group ? BPF_CORE_READ(t, group_leader, thread_pid) : BPF_CORE_READ(t, thread_pid);
	if (!pid)
		return 0;
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};
	bpf_probe_read_kernel(&up, sizeof(up), __builtin_preserve_access_index(&pid->numbers[level & 31]));
	return up.nr;
}

static __always_inline __u64 clone_flags(struct entry *e)
{
	switch (e->type) {
	case T_CLONE3:
		return e->extra;
	case T_FORK:
		return 17; /* SIGCHLD */
	case T_VFORK:
		return 0x4000 | 0x100 | 17; /* CLONE_VFORK | CLONE_VM | SIGCHLD */
	}
	return e->args[0];
}

static __always_inline void put_clone(struct scratch *s, struct task_struct *t, struct entry *e)
{
	put_proc(s, t);
	put_u64(s, clone_flags(e));
	put_u64(s, pid_vnr(t, 0));
	put_u64(s, pid_vnr(t, 1));
}

/* ---- open flags ---- */

static __always_inline __u32 open_flags(__u64 f)
{
	__u32 r = 0;
	switch (f & 3) {
	case 1: r |= PPM_O_WRONLY; break;
	case 2: r |= PPM_O_RDWR; break;
	default: r |= PPM_O_RDONLY;
	}
	if (f & 0100) r |= PPM_O_CREAT;
	if (f & 0200) r |= PPM_O_EXCL;
	if (f & 01000) r |= PPM_O_TRUNC;
	if (f & 02000) r |= PPM_O_APPEND;
	if (f & 04000) r |= PPM_O_NONBLOCK;
	if (f & 010000) r |= PPM_O_DSYNC;
	if (f & 04000000) r |= PPM_O_SYNC;
	if (f & 02000000) r |= PPM_O_CLOEXEC;
	if (f & 020000000) r |= PPM_O_TMPFILE;
	if (arch_arm64) {
		if (f & 040000) r |= PPM_O_DIRECTORY;
		if (f & 0200000) r |= PPM_O_DIRECT;
		if (f & 0400000) r |= PPM_O_LARGEFILE;
	} else {
		if (f & 040000) r |= PPM_O_DIRECT;
		if (f & 0100000) r |= PPM_O_LARGEFILE;
		if (f & 0200000) r |= PPM_O_DIRECTORY;
	}
	return r;
}

/* Flags and dev/ino of the file an open returned. */
static __always_inline void put_open_result(struct scratch *s, struct task_struct *t, long fd, __u32 flags, int with_flags,
					    __u64 mode, int has_resolve, __u64 resolve)
{
	struct file *f = fd_file(t, fd);
	__u64 dev = 0, ino_nr = 0;
	if (f && have_rdonly_cast()) {
		struct file *fb = bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
		struct inode *ino = fb->f_inode;
		if (fb->f_mode & FMODE_CREATED)
			flags |= PPM_O_F_CREATED;
		struct super_block *sb = ino->i_sb;
		dev = encode_dev(sb->s_dev);
		ino_nr = ino->i_ino;
		if (sb->s_magic == OVERLAYFS_SUPER_MAGIC) {
			int overlay = 0;
			flags |= inode_upper(BPF_CORE_READ(fb, f_inode), &overlay) ? PPM_FD_UPPER_LAYER : PPM_FD_LOWER_LAYER;
		}
	} else if (f) {
		struct inode *ino = BPF_CORE_READ(f, f_inode);
		if (BPF_CORE_READ(f, f_mode) & FMODE_CREATED)
			flags |= PPM_O_F_CREATED;
		int overlay = 0;
		if (inode_upper(ino, &overlay))
			flags |= PPM_FD_UPPER_LAYER;
		else if (overlay)
			flags |= PPM_FD_LOWER_LAYER;
		if (ino) {
			dev = encode_dev(BPF_CORE_READ(ino, i_sb, s_dev));
			ino_nr = BPF_CORE_READ(ino, i_ino);
		}
	}
	if (with_flags)
		put_u64(s, flags);
	put_u64(s, mode);
	if (has_resolve)
		put_u64(s, resolve);
	put_u64(s, dev);
	put_u64(s, ino_nr);
}

static __always_inline __u64 sock_id(struct task_struct *t, long fd)
{
	return (__u64)fd_sock(t, fd);
}

static __always_inline __u64 file_ino(struct task_struct *t, long fd)
{
	struct file *f = fd_file(t, fd);
	return f ? BPF_CORE_READ(f, f_inode, i_ino) : 0;
}

/* ---- sys_exit: one record per captured syscall ---- */

static __noinline int build_exit(struct scratch *s, struct task_struct *t, struct entry *e, long ret)
{
	__u64 *a = e->args;
	switch (e->type) {
	case T_OPEN:
		put_user_str(s, (void *)a[0]);
		put_open_result(s, t, ret, open_flags(a[1]), 1, a[2], 0, 0);
		break;
	case T_OPENAT:
		put_u64(s, (__s64)(int)a[0]);
		put_user_str(s, (void *)a[1]);
		put_open_result(s, t, ret, open_flags(a[2]), 1, a[3], 0, 0);
		break;
	case T_OPENAT2: {
		struct open_how how = {};
		bpf_probe_read_user(&how, sizeof(how), (void *)a[2]);
		put_u64(s, (__s64)(int)a[0]);
		put_user_str(s, (void *)a[1]);
		put_open_result(s, t, ret, open_flags(how.flags), 1, how.mode, 1, how.resolve);
		break;
	}
	case T_CREAT:
		put_user_str(s, (void *)a[0]);
		put_open_result(s, t, ret, 0, 0, a[1], 0, 0);
		break;
	case T_CLOSE:
	case T_DUP:
	case T_FCHDIR:
		put_u64(s, (__s64)(int)a[0]);
		break;
	case T_DUP2:
		put_u64(s, (__s64)(int)a[0]);
		put_u64(s, (__s64)(int)a[1]);
		break;
	case T_DUP3:
		put_u64(s, (__s64)(int)a[0]);
		put_u64(s, (__s64)(int)a[1]);
		put_u64(s, a[2]);
		break;
	case T_FCNTL:
		put_u64(s, (__s64)(int)a[0]);
		put_u64(s, a[1]);
		break;
	case T_SOCKET:
		put_u64(s, a[0]);
		put_u64(s, a[1]);
		put_u64(s, a[2]);
		break;
	case T_SOCKETPAIR: {
		int fds[2] = {-1, -1};
		if (ret == 0)
			bpf_probe_read_user(fds, sizeof(fds), (void *)a[3]);
		put_u64(s, (__s64)fds[0]);
		put_u64(s, (__s64)fds[1]);
		put_u64(s, ret == 0 ? sock_id(t, fds[0]) : 0);
		put_u64(s, ret == 0 ? sock_id(t, fds[1]) : 0);
		put_u64(s, a[0]);
		put_u64(s, a[1]);
		put_u64(s, a[2]);
		break;
	}
	case T_CONNECT:
		put_tuple(s, fd_sock(t, (int)a[0]), 1, (void *)a[1], a[2]);
		put_u64(s, (__s64)(int)a[0]);
		put_addr(s, (void *)a[1], a[2]);
		break;
	case T_ACCEPT:
	case T_ACCEPT4:
		put_tuple(s, ret >= 0 ? fd_sock(t, ret) : NULL, 0, NULL, 0);
		put_u64(s, (__s64)(int)a[0]);
		if (e->type == T_ACCEPT4)
			put_u64(s, a[3]);
		break;
	case T_BIND:
		put_addr(s, (void *)a[1], a[2]);
		put_u64(s, (__s64)(int)a[0]);
		break;
	case T_LISTEN:
		put_u64(s, (__s64)(int)a[0]);
		put_u64(s, (__s64)(int)a[1]);
		break;
	case T_SENDTO:
		put_empty(s);
		put_u64(s, (__s64)(int)a[0]);
		put_u64(s, a[2]);
		put_tuple(s, fd_sock(t, (int)a[0]), 1, (void *)a[4], a[5]);
		break;
	case T_SENDMSG:
	case T_RECVMSG: {
		struct user_msghdr msg = {};
		bpf_probe_read_user(&msg, sizeof(msg), (void *)a[1]);
		if (e->type == T_SENDMSG) {
			put_empty(s);
			put_u64(s, (__s64)(int)a[0]);
			put_u64(s, ret > 0 ? ret : 0);
			put_tuple(s, fd_sock(t, (int)a[0]), 1, msg.msg_name, msg.msg_namelen);
		} else {
			put_u64(s, ret > 0 ? ret : 0);
			put_empty(s);
			put_tuple(s, fd_sock(t, (int)a[0]), 0, ret >= 0 ? msg.msg_name : NULL, msg.msg_namelen);
			put_u64(s, (__s64)(int)a[0]);
		}
		break;
	}
	case T_RECVFROM: {
		__u32 alen = 0;
		if (a[5])
			bpf_probe_read_user(&alen, 4, (void *)a[5]);
		put_empty(s);
		put_tuple(s, fd_sock(t, (int)a[0]), 0, ret >= 0 ? (void *)a[4] : NULL, alen);
		put_u64(s, (__s64)(int)a[0]);
		put_u64(s, a[2]);
		break;
	}
	case T_EXECVE:
	case T_EXECVEAT:
		/* Only failures get here: a successful exec is reported at sched_process_exec. */
		put_proc(s, t);
		put_exec(s, t, e->type, e, NULL);
		break;
	case T_CLONE:
	case T_CLONE3:
	case T_FORK:
	case T_VFORK:
		put_clone(s, t, e);
		break;
	case T_PTRACE:
		put_u64(s, a[2]);
		put_u64(s, a[3]);
		put_u64(s, a[0]);
		put_u64(s, (__s64)(int)a[1]);
		break;
	case T_LINK:
	case T_SYMLINK:
	case T_RENAME:
		put_user_str(s, (void *)a[0]);
		put_user_str(s, (void *)a[1]);
		break;
	case T_LINKAT:
	case T_RENAMEAT:
	case T_RENAMEAT2:
		put_u64(s, (__s64)(int)a[0]);
		put_user_str(s, (void *)a[1]);
		put_u64(s, (__s64)(int)a[2]);
		put_user_str(s, (void *)a[3]);
		if (e->type != T_RENAMEAT)
			put_u64(s, a[4]);
		break;
	case T_SYMLINKAT:
		put_user_str(s, (void *)a[0]);
		put_u64(s, (__s64)(int)a[1]);
		put_user_str(s, (void *)a[2]);
		break;
	case T_UNLINK:
	case T_RMDIR:
	case T_CHDIR:
	case T_CHROOT:
		put_user_str(s, (void *)a[0]);
		break;
	case T_UNLINKAT:
		put_u64(s, (__s64)(int)a[0]);
		put_user_str(s, (void *)a[1]);
		put_u64(s, a[2]);
		break;
	case T_MKDIR:
	case T_CHMOD:
		put_user_str(s, (void *)a[0]);
		put_u64(s, a[1]);
		break;
	case T_MKDIRAT:
	case T_FCHMODAT:
		put_u64(s, (__s64)(int)a[0]);
		put_user_str(s, (void *)a[1]);
		put_u64(s, a[2]);
		break;
	case T_FCHMOD:
	case T_SETNS:
		put_u64(s, (__s64)(int)a[0]);
		put_u64(s, a[1]);
		break;
	case T_SETUID:
	case T_SETGID:
	case T_UNSHARE:
	case T_BPF:
	case T_USERFAULTFD:
		put_u64(s, (__u32)a[0]);
		break;
	case T_SETRESUID:
	case T_SETRESGID:
		put_u64(s, (__u32)a[0]);
		put_u64(s, (__u32)a[1]);
		put_u64(s, (__u32)a[2]);
		break;
	case T_MOUNT:
		put_user_str(s, (void *)a[0]);
		put_user_str(s, (void *)a[1]);
		put_user_str(s, (void *)a[2]);
		put_u64(s, a[3]);
		break;
	case T_UMOUNT2:
		put_user_str(s, (void *)a[0]);
		put_u64(s, a[1]);
		break;
	case T_MEMFD_CREATE:
		put_user_str(s, (void *)a[0]);
		put_u64(s, a[1]);
		break;
	case T_INIT_MODULE:
		put_empty(s);
		put_u64(s, a[1]);
		put_user_str(s, (void *)a[2]);
		break;
	case T_FINIT_MODULE:
		put_u64(s, (__s64)(int)a[0]);
		put_user_str(s, (void *)a[1]);
		put_u64(s, a[2]);
		break;
	case T_PRCTL:
		put_u64(s, a[0]);
		if (a[0] == 15 /* PR_SET_NAME */ || (a[0] == 16 /* PR_GET_NAME */ && ret == 0))
			put_user_str(s, (void *)a[1]);
		else
			put_empty(s);
		put_u64(s, a[1]);
		break;
	case T_SETSID:
		break;
	case T_SETPGID:
		put_u64(s, (__s64)(int)a[0]);
		put_u64(s, (__s64)(int)a[1]);
		break;
	case T_PIPE:
	case T_PIPE2: {
		int fds[2] = {-1, -1};
		if (ret == 0)
			bpf_probe_read_user(fds, sizeof(fds), (void *)a[0]);
		put_u64(s, (__s64)fds[0]);
		put_u64(s, (__s64)fds[1]);
		put_u64(s, ret == 0 ? file_ino(t, fds[0]) : 0);
		if (e->type == T_PIPE2)
			put_u64(s, a[1]);
		break;
	}
	default:
		return 0;
	}
	return 1;
}

/* ---- hooks ---- */

/* Syscalls whose record needs what only sys_enter sees: execs (reported
 * from sched_process_exec, after the new image replaced the registers, and
 * an execveat must keep the number seen at entry) and clones (the child's
 * side is reported from sched_process_fork, which must know the parent is
 * in one). Every other syscall's arguments are still in the saved user
 * registers at sys_exit, so sys_enter does nothing for them. */
static __always_inline int needs_entry(__u16 type)
{
	switch (type) {
	case T_EXECVE:
	case T_EXECVEAT:
	case T_CLONE:
	case T_CLONE3:
	case T_FORK:
	case T_VFORK:
		return 1;
	}
	return 0;
}

/* Saves the entry state of an exec or clone. */
static __always_inline void save_entry(long id, __u16 type, __u64 a0, __u64 a1, __u64 a2, __u64 a3, __u64 a4, __u64 a5)
{
	struct task_struct *t = bpf_get_current_task_btf();
	if (ignore_tgid && t->tgid == ignore_tgid)
		return;
	struct entry *e = bpf_task_storage_get(&entries, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!e)
		return;
	e->type = type;
	e->nr = id;
	e->args[0] = a0;
	e->args[1] = a1;
	e->args[2] = a2;
	e->args[3] = a3;
	e->args[4] = a4;
	e->args[5] = a5;
	e->extra = 0;
	if (type == T_CLONE3) {
		__u64 flags = 0;
		bpf_probe_read_user(&flags, 8, (void *)a0);
		e->extra = flags;
	}
	e->active = 1;
}

static __always_inline __u16 entry_type(long id)
{
	if ((unsigned long)id >= MAX_SYSCALLS)
		return 0;
	__u32 nr = id;
	__u16 *type = bpf_map_lookup_elem(&syscall_types, &nr);
	if (!type || !needs_entry(*type))
		return 0;
	return *type;
}

/* Entry of an exec or clone. The generic sys_enter hooks call it for every
 * syscall where the per-syscall tracepoints cannot be attached (no
 * tracefs); tp_sys_enter only for those syscalls. */
static __always_inline int on_enter(struct pt_regs *regs, long id)
{
	__u16 type = entry_type(id);
	if (type)
		save_entry(id, type, reg_arg(regs, 0, 0), reg_arg(regs, 1, 0), reg_arg(regs, 2, 0), reg_arg(regs, 3, 0),
			   reg_arg(regs, 4, 0), reg_arg(regs, 5, 0));
	return 0;
}

static __always_inline int on_exit(struct pt_regs *regs, long ret)
{
	long id = reg_nr(regs);
	if ((unsigned long)id >= MAX_SYSCALLS)
		return 0;
	__u32 nr = id;
	__u16 *type = bpf_map_lookup_elem(&syscall_types, &nr);
	if (!type || !*type)
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	struct entry *e;
	struct scratch *s;
	if (needs_entry(*type)) {
		e = bpf_task_storage_get(&entries, t, 0, 0);
		if (!e || !e->active)
			return 0;
		e->active = 0;
		s = get_scratch();
		if (!s)
			return 0;
	} else {
		if (ignore_tgid && t->tgid == ignore_tgid)
			return 0;
		s = get_scratch();
		if (!s)
			return 0;
		e = &s->regs_entry;
		e->type = *type;
		e->nr = id;
		e->args[0] = reg_arg(regs, 0, 1);
		e->args[1] = reg_arg(regs, 1, 1);
		e->args[2] = reg_arg(regs, 2, 1);
		e->args[3] = reg_arg(regs, 3, 1);
		e->args[4] = reg_arg(regs, 4, 1);
		e->args[5] = reg_arg(regs, 5, 1);
	}
	fill_hdr(s, t, e->type, e->nr, ret);
	if (build_exit(s, t, e, ret))
		emit(s);
	return 0;
}

static __always_inline int on_exec(struct task_struct *t, struct linux_binprm *bprm)
{
	struct entry *e = bpf_task_storage_get(&entries, t, 0, 0);
	if (!e || !e->active || (e->type != T_EXECVE && e->type != T_EXECVEAT))
		return 0;
	e->active = 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	fill_hdr(s, t, e->type, e->nr, 0);
	put_proc(s, t);
	put_exec(s, t, e->type, e, BPF_CORE_READ(bprm, filename));
	emit(s);
	return 0;
}

/* The child's side of clone/fork: Falco's clone exit with res 0. child_btf
 * says whether child is a BTF pointer (tp_btf); with raw tracepoints it is
 * a plain address, so the header comes from the parent and the ids from
 * probe reads. */
static __always_inline int on_fork(struct task_struct *parent, struct task_struct *child, int child_btf)
{
	struct entry *e = bpf_task_storage_get(&entries, parent, 0, 0);
	if (!e || !e->active)
		return 0;
	if (e->type != T_CLONE && e->type != T_CLONE3 && e->type != T_FORK && e->type != T_VFORK)
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	if (child_btf) {
		fill_hdr(s, child, e->type, e->nr, 0);
	} else {
		fill_hdr(s, parent, e->type, e->nr, 0);
		s->hdr.tid = BPF_CORE_READ(child, pid);
		s->hdr.pid = BPF_CORE_READ(child, tgid);
		s->hdr.ppid = BPF_CORE_READ(child, real_parent, tgid);
	}
	put_clone(s, child, e);
	emit(s);
	return 0;
}

static __always_inline int on_process_exit(struct task_struct *t)
{
	if (!type_on(T_PROCEXIT))
		return 0;
	__u32 tgid = BPF_CORE_READ(t, tgid);
	if (ignore_tgid && tgid == ignore_tgid)
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	int code = BPF_CORE_READ(t, exit_code);
	fill_hdr(s, t, T_PROCEXIT, -1, 0);
	put_u64(s, (__s64)code);
	put_u64(s, (__s64)((code >> 8) & 0xff));
	put_u64(s, (__s64)(code & 0x7f));
	put_u64(s, (code & 0x80) ? 1 : 0);
	put_u64(s, 0);
	emit(s);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(btf_sys_enter, struct pt_regs *regs, long id)
{
	return on_enter(regs, id);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(btf_sys_exit, struct pt_regs *regs, long ret)
{
	return on_exit(regs, ret);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(btf_sched_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(bpf_get_current_task_btf(), bprm);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(btf_sched_fork, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child, 1);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(btf_sched_exit, struct task_struct *p)
{
	return on_process_exit(p);
}

/* The head of a syscalls:sys_enter_* tracepoint's record (see its format
 * file). The arguments that follow are not read from it: the kernel
 * refuses to attach a program that reads past the shortest record (fork's
 * has none), so they come from the user registers, as in raw_sys_enter. */
struct syscall_enter_rec {
	__u64 common;
	__s32 nr;
};

/* Attached to syscalls:sys_enter_{execve,execveat,clone,clone3,fork,vfork}:
 * the entry state of the syscalls that need one, at no cost to the others
 * (see needs_entry). Shared by both program kinds. */
SEC("tracepoint/syscalls/sys_enter_execve")
int tp_sys_enter(struct syscall_enter_rec *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	return on_enter(regs, ctx->nr);
}

/* Raw tracepoint arguments are plain addresses; the BTF pointers come from
 * the current task (bpf_task_pt_regs gives the syscall's user registers). */
SEC("raw_tracepoint/sys_enter")
int raw_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	return on_enter(regs, ctx->args[1]);
}

SEC("raw_tracepoint/sys_exit")
int raw_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	return on_exit(regs, ctx->args[1]);
}

SEC("raw_tracepoint/sched_process_exec")
int raw_sched_exec(struct bpf_raw_tracepoint_args *ctx)
{
	return on_exec(bpf_get_current_task_btf(), (struct linux_binprm *)ctx->args[2]);
}

SEC("raw_tracepoint/sched_process_fork")
int raw_sched_fork(struct bpf_raw_tracepoint_args *ctx)
{
	return on_fork(bpf_get_current_task_btf(), (struct task_struct *)ctx->args[1], 0);
}

SEC("raw_tracepoint/sched_process_exit")
int raw_sched_exit(struct bpf_raw_tracepoint_args *ctx)
{
	return on_process_exit(bpf_get_current_task_btf());
}
