package capture_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Actions performed by the re-executed test binary. Each does its
// syscalls with distinctive arguments (paths under $SAKER_TMP, fixed
// numbers) so the parent test can pick the events out.
var actions = map[string]func(dir string) error{
	"open":     actOpen,
	"files":    actFiles,
	"fds":      actFds,
	"exec":     actExec,
	"execfail": actExecFail,
	"execveat": actExecveat,
	"memfd":    actMemfdExec,
	"fork":     actFork,
	"vfork":    actVfork,
	"session":  actSession,
	"spawn":    actSpawn,
	"exit3":    func(string) error { unix.Exit(3); return nil },
	"tcp":      actTCP,
	"udp":      actUDP,
	"unix":     actUnix,
	"creds":    actCreds,
	"misc":     actMisc,
	"ns":       actNamespaces,
	"overlay":  actOverlay,
	"cgroup":   actCgroup,
	"ovl-next": actOverlayNext,
	"noop":     func(string) error { return nil },
}

func runChild(name string) int {
	// A stuck action must fail loudly, with its stacks, not hang the suite.
	time.AfterFunc(30*time.Second, func() {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		fmt.Fprintf(os.Stderr, "child action %s stuck for 30s:\n%s\n", name, buf[:n])
		os.Exit(99)
	})
	runtime.LockOSThread()
	act, ok := actions[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown child action %q\n", name)
		return 2
	}
	if err := act(os.Getenv("SAKER_TMP")); err != nil {
		fmt.Fprintf(os.Stderr, "child action %s: %v\n", name, err)
		return 1
	}
	return 0
}

func bytePtr(s string) *byte {
	p, err := unix.BytePtrFromString(s)
	if err != nil {
		panic(err)
	}
	return p
}

func sys(nr uintptr, args ...uintptr) (uintptr, unix.Errno) {
	var a [6]uintptr
	copy(a[:], args)
	r, _, e := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	return r, e
}

func actOpen(dir string) error {
	ro := filepath.Join(dir, "ro")
	if err := os.WriteFile(ro, []byte("x"), 0o600); err != nil {
		return err
	}
	fd, err := unix.Openat(unix.AT_FDCWD, ro, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	unix.Close(fd)
	fd, err = unix.Openat(unix.AT_FDCWD, filepath.Join(dir, "new"), unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	unix.Close(fd)
	// A failing open keeps its path and flags.
	_, _ = unix.Openat(unix.AT_FDCWD, filepath.Join(dir, "missing"), unix.O_RDWR, 0)
	fd, err = unix.Openat2(unix.AT_FDCWD, ro, &unix.OpenHow{Flags: unix.O_RDONLY, Resolve: unix.RESOLVE_NO_SYMLINKS})
	if err != nil {
		return err
	}
	unix.Close(fd)
	if runtime.GOARCH == "amd64" {
		r, e := sys(sysOpen, uintptr(unsafe.Pointer(bytePtr(ro))), unix.O_RDONLY)
		if e != 0 {
			return e
		}
		unix.Close(int(r))
		r, e = sys(sysCreat, uintptr(unsafe.Pointer(bytePtr(filepath.Join(dir, "creat")))), 0o600)
		if e != 0 {
			return e
		}
		unix.Close(int(r))
	}
	return nil
}

func actFiles(dir string) error {
	p := func(n string) string { return filepath.Join(dir, n) }
	steps := []func() error{
		func() error { return unix.Mkdirat(unix.AT_FDCWD, p("d1"), 0o750) },
		func() error { return os.WriteFile(p("f"), nil, 0o600) },
		func() error { return unix.Linkat(unix.AT_FDCWD, p("f"), unix.AT_FDCWD, p("hard"), 0) },
		func() error { return unix.Symlinkat(p("f"), unix.AT_FDCWD, p("soft")) },
		func() error { return unix.Renameat(unix.AT_FDCWD, p("hard"), unix.AT_FDCWD, p("hard2")) },
		func() error {
			return unix.Renameat2(unix.AT_FDCWD, p("hard2"), unix.AT_FDCWD, p("hard3"), unix.RENAME_NOREPLACE)
		},
		func() error { return unix.Fchmodat(unix.AT_FDCWD, p("f"), 0o604, 0) },
		func() error { return unix.Unlinkat(unix.AT_FDCWD, p("hard3"), 0) },
		func() error { return unix.Unlinkat(unix.AT_FDCWD, p("d1"), unix.AT_REMOVEDIR) },
		func() error { return unix.Chdir(dir) },
	}
	if runtime.GOARCH == "amd64" {
		legacy := []struct {
			nr   uintptr
			args []uintptr
		}{
			{sysMkdir, []uintptr{uintptr(unsafe.Pointer(bytePtr(p("d2")))), 0o700}},
			{sysLink, []uintptr{uintptr(unsafe.Pointer(bytePtr(p("f")))), uintptr(unsafe.Pointer(bytePtr(p("l2"))))}},
			{sysSymlink, []uintptr{uintptr(unsafe.Pointer(bytePtr("/etc/shadow"))), uintptr(unsafe.Pointer(bytePtr(p("s2"))))}},
			{sysRename, []uintptr{uintptr(unsafe.Pointer(bytePtr(p("l2")))), uintptr(unsafe.Pointer(bytePtr(p("l3"))))}},
			{sysChmod, []uintptr{uintptr(unsafe.Pointer(bytePtr(p("f")))), 0o644}},
			{sysUnlink, []uintptr{uintptr(unsafe.Pointer(bytePtr(p("l3"))))}},
			{sysRmdir, []uintptr{uintptr(unsafe.Pointer(bytePtr(p("d2"))))}},
		}
		for _, l := range legacy {
			steps = append(steps, func() error {
				if _, e := sys(l.nr, l.args...); e != 0 {
					return fmt.Errorf("syscall %d: %w", l.nr, e)
				}
				return nil
			})
		}
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	fd, err := unix.Open(p("f"), unix.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Fchmod(fd, 0o600); err != nil {
		return err
	}
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	return unix.Fchdir(dfd)
}

func actFds(dir string) error {
	fd, err := unix.Open(filepath.Join(dir, "fds"), unix.O_RDWR|unix.O_CREAT, 0o600)
	if err != nil {
		return err
	}
	if _, err := unix.Dup(fd); err != nil {
		return err
	}
	if runtime.GOARCH == "amd64" {
		if _, e := sys(sysDup2, uintptr(fd), 100); e != 0 {
			return e
		}
		var p [2]int32
		if _, e := sys(sysPipe, uintptr(unsafe.Pointer(&p))); e != 0 {
			return e
		}
	}
	if err := unix.Dup3(fd, 101, unix.O_CLOEXEC); err != nil {
		return err
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 200); err != nil {
		return err
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return err
	}
	// Report the pipe's inode to the parent through a file.
	var st unix.Stat_t
	if err := unix.Fstat(p[0], &st); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "pipe-ino"), []byte(strconv.FormatUint(st.Ino, 10)), 0o600); err != nil {
		return err
	}
	return unix.Close(101)
}

func actExec(dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if err := unix.Chdir(dir); err != nil {
		return err
	}
	// A long environment: what comes last (as event-generator's test id
	// does) must still be captured.
	env := []string{childEnv + "=noop", "SAKER_MARK=exec-env", "SAKER_TMP=" + dir,
		"SAKER_PAD=" + strings.Repeat("x", 9000), "SAKER_LAST=end"}
	return unix.Exec(exe, []string{"saker-argv0", "-test.run=^$", "second arg"}, env)
}

func actExecFail(dir string) error {
	err := unix.Exec(filepath.Join(dir, "no-such-binary"), []string{"x"}, nil)
	if err == unix.ENOENT {
		return nil
	}
	return fmt.Errorf("exec of a missing file: %v", err)
}

func execveat(dirfd int, path string, argv, envv []string, flags int) error {
	argvp, err := syscall.SlicePtrFromStrings(argv)
	if err != nil {
		return err
	}
	envp, err := syscall.SlicePtrFromStrings(envv)
	if err != nil {
		return err
	}
	_, e := sys(unix.SYS_EXECVEAT, uintptr(dirfd), uintptr(unsafe.Pointer(bytePtr(path))),
		uintptr(unsafe.Pointer(&argvp[0])), uintptr(unsafe.Pointer(&envp[0])), uintptr(flags))
	return e
}

func actExecveat(dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	dfd, err := unix.Open(filepath.Dir(exe), unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	return execveat(dfd, filepath.Base(exe), []string{"via-execveat", "-test.run=^$"}, []string{childEnv + "=noop"}, 0)
}

func actMemfdExec(dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	img, err := os.ReadFile(exe)
	if err != nil {
		return err
	}
	fd, err := unix.MemfdCreate("saker-fileless", unix.MFD_CLOEXEC)
	if err != nil {
		return err
	}
	if _, err := unix.Write(fd, img); err != nil {
		return err
	}
	return execveat(fd, "", []string{"fileless", "-test.run=^$"}, []string{childEnv + "=noop"}, unix.AT_EMPTY_PATH)
}

func actFork(dir string) error {
	if runtime.GOARCH != "amd64" {
		return nil
	}
	// Only this thread exists in the child, which exits at once.
	r, _, e := unix.RawSyscall(sysFork, 0, 0, 0)
	if e != 0 {
		return e
	}
	if r == 0 {
		unix.RawSyscall(unix.SYS_EXIT_GROUP, 7, 0, 0)
	}
	var ws unix.WaitStatus
	_, err := unix.Wait4(int(r), &ws, 0, nil)
	return err
}

// actVfork runs the vfork syscall itself (not clone with CLONE_VFORK, as
// os/exec does). The child borrows this thread's stack until it exits, so
// it does nothing but exit_group.
func actVfork(dir string) error {
	if runtime.GOARCH != "amd64" {
		return nil
	}
	r, _, e := unix.RawSyscall(sysVfork, 0, 0, 0)
	if e != 0 {
		return e
	}
	if r == 0 {
		unix.RawSyscall(unix.SYS_EXIT_GROUP, 9, 0, 0)
	}
	var ws unix.WaitStatus
	_, err := unix.Wait4(int(r), &ws, 0, nil)
	return err
}

// actSession leaves the test's session (the child is not a group leader,
// so setsid succeeds), then asks for a process group of its own, which a
// session leader may not (EPERM).
func actSession(dir string) error {
	if _, err := unix.Setsid(); err != nil {
		return err
	}
	if err := unix.Setpgid(0, 0); err != unix.EPERM {
		return fmt.Errorf("setpgid as a session leader: %v, want EPERM", err)
	}
	return nil
}

func actSpawn(dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	pid, err := syscall.ForkExec(exe, []string{"spawned", "-test.run=^$"}, &syscall.ProcAttr{
		Env:   []string{childEnv + "=noop"},
		Files: []uintptr{0, 1, 2},
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "spawned-pid"), []byte(strconv.Itoa(pid)), 0o600); err != nil {
		return err
	}
	var ws unix.WaitStatus
	_, err = unix.Wait4(pid, &ws, 0, nil)
	return err
}

func actTCP(dir string) error {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return err
	}
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	c.Close()
	local, err := unix.Getsockname(fd)
	if err != nil {
		return err
	}
	info := fmt.Sprintf("%d %d", port, local.(*unix.SockaddrInet4).Port)
	return os.WriteFile(filepath.Join(dir, "tcp"), []byte(info), 0o600)
}

func actUDP(dir string) error {
	srv, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	if err := unix.Bind(srv, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return err
	}
	sa, err := unix.Getsockname(srv)
	if err != nil {
		return err
	}
	port := sa.(*unix.SockaddrInet4).Port
	cli, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	dst := &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}
	if err := unix.Sendto(cli, []byte("ping"), 0, dst); err != nil {
		return err
	}
	if err := unix.Sendmsg(cli, []byte("pong"), nil, dst, 0); err != nil {
		return err
	}
	buf := make([]byte, 16)
	if _, _, err := unix.Recvfrom(srv, buf, 0); err != nil {
		return err
	}
	if _, _, _, _, err := unix.Recvmsg(srv, buf, nil, 0); err != nil {
		return err
	}
	cl, err := unix.Getsockname(cli)
	if err != nil {
		return err
	}
	info := fmt.Sprintf("%d %d", port, cl.(*unix.SockaddrInet4).Port)
	return os.WriteFile(filepath.Join(dir, "udp"), []byte(info), 0o600)
}

func actUnix(dir string) error {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return err
	}
	unix.Close(fds[0])
	unix.Close(fds[1])
	path := filepath.Join(dir, "sock")
	srv, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return err
	}
	if err := unix.Bind(srv, &unix.SockaddrUnix{Name: path}); err != nil {
		return err
	}
	if err := unix.Listen(srv, 7); err != nil {
		return err
	}
	cli, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return err
	}
	if err := unix.Connect(cli, &unix.SockaddrUnix{Name: path}); err != nil {
		return err
	}
	if _, _, err = unix.Accept4(srv, unix.SOCK_CLOEXEC); err != nil {
		return err
	}
	// An abstract socket: no file, a name that starts with a NUL byte.
	abstract := &unix.SockaddrUnix{Name: "@saker-" + filepath.Base(dir)}
	asrv, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return err
	}
	if err := unix.Bind(asrv, abstract); err != nil {
		return err
	}
	if err := unix.Listen(asrv, 3); err != nil {
		return err
	}
	acli, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return err
	}
	if err := unix.Connect(acli, abstract); err != nil {
		return err
	}
	_, _, err = unix.Accept4(asrv, 0)
	return err
}

func actCreds(dir string) error {
	// Raw calls change this thread only, which keeps the Go runtime out.
	steps := []struct {
		nr   uintptr
		args []uintptr
	}{
		{unix.SYS_SETRESGID, []uintptr{1001, 1002, 1003}},
		{unix.SYS_SETGID, []uintptr{1004}},
		{unix.SYS_SETRESUID, []uintptr{2001, 2002, 2003}},
		{unix.SYS_SETUID, []uintptr{2001}}, // allowed: it is the real uid
	}
	for _, s := range steps {
		var a [3]uintptr
		copy(a[:], s.args)
		if _, _, e := unix.RawSyscall(s.nr, a[0], a[1], a[2]); e != 0 {
			return fmt.Errorf("syscall %d: %w", s.nr, e)
		}
	}
	// Any event after the change carries the new effective ids.
	_, _ = unix.Openat(unix.AT_FDCWD, filepath.Join(dir, "as-2001"), unix.O_RDONLY, 0)
	return nil
}

func actMisc(dir string) error {
	if err := unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(bytePtr("saker-renamed"))), 0, 0, 0); err != nil {
		return err
	}
	fd, err := unix.MemfdCreate("saker-memfd", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return err
	}
	unix.Close(fd)
	_, _, _ = unix.Syscall(unix.SYS_FINIT_MODULE, ^uintptr(0), uintptr(unsafe.Pointer(bytePtr("saker=1"))), 0)
	_, _, _ = unix.Syscall(unix.SYS_INIT_MODULE, 0, 0, uintptr(unsafe.Pointer(bytePtr("saker=2"))))
	var attr [128]byte
	_, _, _ = unix.Syscall(unix.SYS_BPF, 11 /* BPF_PROG_GET_NEXT_ID */, uintptr(unsafe.Pointer(&attr)), 16)
	_, _, _ = unix.Syscall(unix.SYS_PTRACE, unix.PTRACE_TRACEME, 0, 0)
	_, _, _ = unix.Syscall(unix.SYS_USERFAULTFD, unix.O_CLOEXEC, 0, 0)
	_, _, _ = unix.Syscall(unix.SYS_SETNS, ^uintptr(0), unix.CLONE_NEWNET, 0)
	return unix.Chroot("/")
}

func actNamespaces(dir string) error {
	// A private mount namespace for this thread: the mount stays here.
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return err
	}
	if err := unix.Mount("none", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return err
	}
	target := filepath.Join(dir, "mnt")
	if err := os.Mkdir(target, 0o700); err != nil {
		return err
	}
	if err := unix.Mount("saker-tmpfs", target, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return err
	}
	return unix.Unmount(target, unix.MNT_DETACH)
}

// actOverlay mounts an overlayfs (in a private mount namespace, on a
// tmpfs) holding a copy of this binary in its lower layer, then executes
// it from the merged directory; the next step executes a copy written
// through the overlay (so on the upper layer).
func actOverlay(dir string) error {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return err
	}
	if err := unix.Mount("none", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return err
	}
	root := filepath.Join(dir, "ovl")
	if err := os.Mkdir(root, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("saker-ovl", root, "tmpfs", 0, ""); err != nil {
		return err
	}
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	img, err := os.ReadFile(exe)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, "lower", "lower.test"), img, 0o755); err != nil {
		return err
	}
	opts := "lowerdir=" + filepath.Join(root, "lower") + ",upperdir=" + filepath.Join(root, "upper") + ",workdir=" + filepath.Join(root, "work")
	merged := filepath.Join(root, "merged")
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(merged, "upper.test"), img, 0o755); err != nil {
		return err
	}
	return unix.Exec(filepath.Join(merged, "lower.test"), []string{"from-lower", "-test.run=^$"},
		[]string{childEnv + "=ovl-next", "SAKER_TMP=" + dir})
}

func actOverlayNext(dir string) error {
	merged := filepath.Join(dir, "ovl", "merged")
	return unix.Exec(filepath.Join(merged, "upper.test"), []string{"from-upper", "-test.run=^$"}, []string{childEnv + "=noop"})
}

// actCgroup moves itself into the cgroup directory $SAKER_CGROUP, then
// executes this binary again.
func actCgroup(dir string) error {
	if err := os.WriteFile(filepath.Join(os.Getenv("SAKER_CGROUP"), "cgroup.procs"), []byte("0"), 0); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return unix.Exec(exe, []string{"in-cgroup", "-test.run=^$"}, []string{childEnv + "=noop"})
}
