package capture_test

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sakersec/saker/sensor/event"
)

// The privileged driver suite: each test re-executes this binary to
// perform syscalls and checks the decoded events.

func tmpDir(t *testing.T) (string, string) {
	d := t.TempDir()
	// Resolve symlinks so paths compare with what the kernel reports.
	r, err := filepath.EvalSymlinks(d)
	if err != nil {
		t.Fatal(err)
	}
	return r, "SAKER_TMP=" + r
}

func byName(name string) func(got) bool {
	return func(g got) bool { return g.Args["name"] == name }
}

func argIs(arg, val string) func(got) bool {
	return func(g got) bool { return g.Args[arg] == val }
}

func TestOpenFamily(t *testing.T) {
	h := start(t)
	dir, env := tmpDir(t)
	pid, evs, _ := h.run(t, "open", env)

	var st unix.Stat_t
	ro := filepath.Join(dir, "ro")
	if err := unix.Stat(ro, &st); err != nil {
		t.Fatal(err)
	}
	g := one(t, evs, event.TypeOpenat, func(g got) bool { return g.Args["name"] == ro && g.Args["flags"] == "O_RDONLY|O_CLOEXEC" })
	if g.PID != pid || g.Res < 0 || g.Ints["fd"] != g.Res {
		t.Errorf("openat: pid %d res %d fd %d (child %d)", g.PID, g.Res, g.Ints["fd"], pid)
	}
	wantArgs(t, g, map[string]string{"dirfd": "-100"})
	if uint64(g.Ints["ino"]) != st.Ino || uint64(g.Ints["dev"]) != uint64(unix.Mkdev(unix.Major(st.Dev), unix.Minor(st.Dev))) {
		t.Errorf("openat: dev/ino %x/%d, stat says %x/%d", g.Ints["dev"], g.Ints["ino"], st.Dev, st.Ino)
	}
	if g.Syscall != unix.SYS_OPENAT {
		t.Errorf("openat: syscall number %d", g.Syscall)
	}
	if g.Comm == "" || g.UID != 0 {
		t.Errorf("openat: comm %q uid %d", g.Comm, g.UID)
	}

	cr := one(t, evs, event.TypeOpenat, byName(filepath.Join(dir, "new")))
	if !strings.Contains(cr.Args["flags"], "O_TRUNC") || !strings.Contains(cr.Args["flags"], "O_CREAT") ||
		!strings.Contains(cr.Args["flags"], "O_WRONLY") || !strings.Contains(cr.Args["flags"], "O_F_CREATED") {
		t.Errorf("creating openat: flags %q", cr.Args["flags"])
	}
	if cr.Args["mode"] != "0640" {
		t.Errorf("creating openat: mode %q", cr.Args["mode"])
	}

	miss := one(t, evs, event.TypeOpenat, byName(filepath.Join(dir, "missing")))
	if miss.Res != -int64(unix.ENOENT) || miss.Args["flags"] != "O_RDWR" {
		t.Errorf("failed openat: res %d flags %q", miss.Res, miss.Args["flags"])
	}

	o2 := one(t, evs, event.TypeOpenat2, byName(ro))
	wantArgs(t, o2, map[string]string{"flags": "O_RDONLY", "resolve": "RESOLVE_NO_SYMLINKS"})
	if o2.Res < 0 || uint64(o2.Ints["ino"]) != st.Ino {
		t.Errorf("openat2: res %d ino %d", o2.Res, o2.Ints["ino"])
	}

	if runtime.GOARCH == "amd64" {
		op := one(t, evs, event.TypeOpen, byName(ro))
		if op.Res < 0 || op.Args["flags"] != "O_RDONLY" {
			t.Errorf("open: res %d flags %q", op.Res, op.Args["flags"])
		}
		c := one(t, evs, event.TypeCreat, byName(filepath.Join(dir, "creat")))
		if c.Res < 0 || c.Args["mode"] != "0600" {
			t.Errorf("creat: res %d mode %q", c.Res, c.Args["mode"])
		}
	}
	cl := find(evs, event.TypeClose, func(x got) bool { return x.Ints["fd"] == g.Res && x.Res == 0 })
	if len(cl) == 0 {
		t.Errorf("no close of fd %d", g.Res)
	}
}

func TestFileOperations(t *testing.T) {
	h := start(t)
	dir, env := tmpDir(t)
	_, evs, _ := h.run(t, "files", env)
	p := func(n string) string { return filepath.Join(dir, n) }

	one(t, evs, event.TypeMkdirat, func(g got) bool {
		return g.Args["path"] == p("d1") && g.Args["mode"] == "0750" && g.Args["dirfd"] == "-100" && g.Res == 0
	})
	one(t, evs, event.TypeLinkat, func(g got) bool {
		return g.Args["oldpath"] == p("f") && g.Args["newpath"] == p("hard") && g.Args["olddir"] == "-100" && g.Res == 0
	})
	one(t, evs, event.TypeSymlinkat, func(g got) bool {
		return g.Args["target"] == p("f") && g.Args["linkpath"] == p("soft") && g.Args["linkdirfd"] == "-100"
	})
	one(t, evs, event.TypeRenameat, func(g got) bool {
		return g.Args["oldpath"] == p("hard") && g.Args["newpath"] == p("hard2") && g.Args["olddirfd"] == "-100"
	})
	one(t, evs, event.TypeRenameat2, func(g got) bool {
		return g.Args["oldpath"] == p("hard2") && g.Args["newpath"] == p("hard3") && g.Args["flags"] == "RENAME_NOREPLACE"
	})
	one(t, evs, event.TypeFchmodat, func(g got) bool { return g.Args["filename"] == p("f") && g.Args["mode"] == "0604" })
	one(t, evs, event.TypeUnlinkat, func(g got) bool { return g.Args["name"] == p("hard3") && g.Args["flags"] == "0" })
	one(t, evs, event.TypeUnlinkat, func(g got) bool { return g.Args["name"] == p("d1") && g.Args["flags"] == "AT_REMOVEDIR" })
	one(t, evs, event.TypeChdir, func(g got) bool { return g.Args["path"] == dir && g.Res == 0 })
	one(t, evs, event.TypeFchmod, func(g got) bool { return g.Args["mode"] == "0600" && g.Res == 0 })
	one(t, evs, event.TypeFchdir, func(g got) bool { return g.Ints["fd"] >= 0 && g.Res == 0 })
	if runtime.GOARCH == "amd64" {
		one(t, evs, event.TypeMkdir, func(g got) bool { return g.Args["path"] == p("d2") && g.Args["mode"] == "0700" })
		one(t, evs, event.TypeLink, func(g got) bool { return g.Args["oldpath"] == p("f") && g.Args["newpath"] == p("l2") })
		one(t, evs, event.TypeSymlink, func(g got) bool {
			return g.Args["target"] == "/etc/shadow" && g.Args["linkpath"] == p("s2")
		})
		one(t, evs, event.TypeRename, func(g got) bool { return g.Args["oldpath"] == p("l2") && g.Args["newpath"] == p("l3") })
		one(t, evs, event.TypeChmod, func(g got) bool { return g.Args["filename"] == p("f") && g.Args["mode"] == "0644" })
		one(t, evs, event.TypeUnlink, func(g got) bool { return g.Args["path"] == p("l3") && g.Res == 0 })
		one(t, evs, event.TypeRmdir, func(g got) bool { return g.Args["path"] == p("d2") && g.Res == 0 })
	}
}

func TestFileDescriptors(t *testing.T) {
	h := start(t)
	dir, env := tmpDir(t)
	_, evs, _ := h.run(t, "fds", env)
	op := one(t, evs, event.TypeOpenat, byName(filepath.Join(dir, "fds")))
	fd := strconv.FormatInt(op.Res, 10)
	one(t, evs, event.TypeDup, func(g got) bool { return g.Args["oldfd"] == fd && g.Res > op.Res })
	one(t, evs, event.TypeDup3, func(g got) bool {
		return g.Args["oldfd"] == fd && g.Args["newfd"] == "101" && g.Args["flags"] == "O_CLOEXEC" && g.Res == 101
	})
	one(t, evs, event.TypeFcntl, func(g got) bool {
		return g.Args["fd"] == fd && g.Args["cmd"] == "F_DUPFD_CLOEXEC" && g.Res >= 200
	})
	one(t, evs, event.TypeClose, func(g got) bool { return g.Args["fd"] == "101" && g.Res == 0 })
	ino, err := os.ReadFile(filepath.Join(dir, "pipe-ino"))
	if err != nil {
		t.Fatal(err)
	}
	one(t, evs, event.TypePipe2, func(g got) bool {
		return g.Res == 0 && g.Ints["fd1"] >= 0 && g.Ints["fd2"] >= 0 && g.Args["ino"] == string(ino) && g.Args["flags"] == "O_CLOEXEC"
	})
	if runtime.GOARCH == "amd64" {
		one(t, evs, event.TypeDup2, func(g got) bool { return g.Args["oldfd"] == fd && g.Args["newfd"] == "100" && g.Res == 100 })
		one(t, evs, event.TypePipe, func(g got) bool { return g.Res == 0 && g.Ints["fd1"] >= 0 && g.Ints["ino"] > 0 })
	}
}

func selfStatus(t *testing.T, key string) string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %s in /proc/self/status", key)
	return ""
}

// selfCgroups returns the cgroups items the driver reports for this
// process: "cgroup=<v2 path>" first, then "cpu=" and "memory=" for cgroup
// v1 hierarchies of those controllers.
func selfCgroups(t *testing.T) []string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	var v2 string
	var v1 []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		if f[0] == "0" && f[1] == "" {
			v2 = "cgroup=" + f[2]
			continue
		}
		for _, c := range strings.Split(f[1], ",") {
			if c == "cpu" || c == "memory" {
				v1 = append(v1, c+"="+f[2])
			}
		}
	}
	if v2 == "" {
		v2 = "cgroup=/"
	}
	return append([]string{v2}, v1...)
}

func selfTTY(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the parenthesised comm: state ppid pgrp session tty_nr.
	rest := b[bytes.LastIndexByte(b, ')')+2:]
	fs := strings.Fields(string(rest))
	n, err := strconv.ParseInt(fs[4], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestExecve(t *testing.T) {
	h := start(t)
	dir, env := tmpDir(t)
	pid, evs, _ := h.run(t, "exec", env)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	exe, _ = filepath.EvalSymlinks(exe)
	ex := one(t, evs, event.TypeExecve, argIs("exe", "saker-argv0"))
	if ex.Res != 0 || ex.PID != pid || ex.TID != pid || ex.PPID != int64(os.Getpid()) {
		t.Errorf("execve: res %d pid %d tid %d ppid %d (child %d, me %d)", ex.Res, ex.PID, ex.TID, ex.PPID, pid, os.Getpid())
	}
	wantArgs(t, ex, map[string]string{
		"args":            "-test.run=^$ second arg",
		"cwd":             dir,
		"filename":        exe,
		"trusted_exepath": exe,
		"env":             childEnv + "=noop SAKER_MARK=exec-env SAKER_TMP=" + dir + " SAKER_PAD=" + strings.Repeat("x", 9000) + " SAKER_LAST=end",
		"tid":             strconv.FormatInt(pid, 10),
		"ptid":            strconv.Itoa(os.Getpid()),
	})
	items := strings.Fields(ex.Args["cgroups"])
	for i, want := range selfCgroups(t) {
		if i == 0 && (len(items) == 0 || items[0] != want) {
			t.Errorf("execve: cgroups %q should start with %q", ex.Args["cgroups"], want)
		}
		if !slices.Contains(items, want) {
			t.Errorf("execve: cgroups %q lack %q", ex.Args["cgroups"], want)
		}
	}
	if ex.Ints["tty"] != selfTTY(t) {
		t.Errorf("execve: tty %d, /proc says %d", ex.Ints["tty"], selfTTY(t))
	}
	loginuid, _ := os.ReadFile("/proc/self/loginuid")
	if ex.Args["loginuid"] != strings.TrimSpace(string(loginuid)) {
		t.Errorf("execve: loginuid %s, /proc says %s", ex.Args["loginuid"], loginuid)
	}
	capEff, _ := strconv.ParseUint(selfStatus(t, "CapEff"), 16, 64)
	if uint64(ex.Ints["cap_effective"]) != capEff {
		t.Errorf("execve: cap_effective %x, want %x", ex.Ints["cap_effective"], capEff)
	}
	var st unix.Stat_t
	if err := unix.Stat(exe, &st); err != nil {
		t.Fatal(err)
	}
	if uint64(ex.Ints["exe_ino"]) != st.Ino || ex.Ints["exe_ino_mtime"] != st.Mtim.Nano() || ex.Ints["exe_ino_ctime"] != st.Ctim.Nano() {
		t.Errorf("execve: exe ino %d mtime %d ctime %d; stat %d %d %d", ex.Ints["exe_ino"], ex.Ints["exe_ino_mtime"],
			ex.Ints["exe_ino_ctime"], st.Ino, st.Mtim.Nano(), st.Ctim.Nano())
	}
	// As root the executable is writable (DAC override).
	if !strings.Contains(ex.Args["flags"], "EXE_WRITABLE") || strings.Contains(ex.Args["flags"], "EXE_FROM_MEMFD") {
		t.Errorf("execve: exe flags %q", ex.Args["flags"])
	}
	if ex.Comm != filepath.Base(exe)[:min(15, len(filepath.Base(exe)))] {
		t.Errorf("execve: comm %q after exec of %s", ex.Comm, exe)
	}
}

func TestExecveFailure(t *testing.T) {
	h := start(t)
	dir, env := tmpDir(t)
	_, evs, _ := h.run(t, "execfail", env)
	g := one(t, evs, event.TypeExecve, argIs("filename", filepath.Join(dir, "no-such-binary")))
	if g.Res != -int64(unix.ENOENT) {
		t.Errorf("failed execve: res %d", g.Res)
	}
	if !strings.Contains(g.Args["env"], "SAKER_TMP="+dir) {
		t.Errorf("failed execve: env of the caller expected, got %q", g.Args["env"])
	}
}

func TestExecveatReportedAsExecveat(t *testing.T) {
	h := start(t)
	_, evs, _ := h.run(t, "execveat")
	g := one(t, evs, event.TypeExecveat, argIs("exe", "via-execveat"))
	if g.Res != 0 || g.Syscall != unix.SYS_EXECVEAT || g.Ints["dirfd"] < 0 {
		t.Errorf("execveat: res %d syscall %d dirfd %d", g.Res, g.Syscall, g.Ints["dirfd"])
	}
	if len(find(evs, event.TypeExecve, argIs("exe", "via-execveat"))) != 0 {
		t.Error("a successful execveat was also reported as execve")
	}
}

func TestFilelessExec(t *testing.T) {
	h := start(t)
	_, evs, _ := h.run(t, "memfd")
	mf := one(t, evs, event.TypeMemfdCreate, argIs("name", "saker-fileless"))
	if mf.Res < 0 || mf.Args["flags"] != "MFD_CLOEXEC" {
		t.Errorf("memfd_create: res %d flags %q", mf.Res, mf.Args["flags"])
	}
	g := one(t, evs, event.TypeExecveat, argIs("exe", "fileless"))
	if !strings.Contains(g.Args["flags"], "EXE_FROM_MEMFD") {
		t.Errorf("fileless exec: flags %q", g.Args["flags"])
	}
	if !strings.HasPrefix(g.Args["trusted_exepath"], "/memfd:saker-fileless") {
		t.Errorf("fileless exec: exe path %q", g.Args["trusted_exepath"])
	}
}

func TestForkAndClone(t *testing.T) {
	h := start(t)
	if runtime.GOARCH == "amd64" {
		pid, evs, _ := h.run(t, "fork")
		parent := one(t, evs, event.TypeFork, func(g got) bool { return g.PID == pid && g.Res > 0 })
		child := one(t, evs, event.TypeFork, func(g got) bool { return g.Res == 0 })
		if child.TID != parent.Res || child.PID != parent.Res || child.PPID != pid {
			t.Errorf("fork child: tid %d pid %d ppid %d; parent says child %d, parent pid %d", child.TID, child.PID, child.PPID, parent.Res, pid)
		}
		wantArgs(t, child, map[string]string{"flags": "17", "ptid": strconv.FormatInt(pid, 10)})
		if child.Ints["vpid"] != child.PID {
			t.Errorf("fork child: vpid %d, pid %d (same namespace)", child.Ints["vpid"], child.PID)
		}
		ex := one(t, evs, event.TypeProcExit, func(g got) bool { return g.PID == child.PID })
		wantArgs(t, ex, map[string]string{"ret": "7", "sig": "0", "status": strconv.Itoa(7 << 8)})

		pid, evs, _ = h.run(t, "vfork")
		parent = one(t, evs, event.TypeVfork, func(g got) bool { return g.PID == pid && g.Res > 0 })
		child = one(t, evs, event.TypeVfork, func(g got) bool { return g.Res == 0 })
		if child.PID != parent.Res || child.PPID != pid {
			t.Errorf("vfork child: pid %d ppid %d; parent says child %d, parent pid %d", child.PID, child.PPID, parent.Res, pid)
		}
		wantArgs(t, child, map[string]string{"flags": "CLONE_VM|CLONE_VFORK", "ptid": strconv.FormatInt(pid, 10)})
		ex = one(t, evs, event.TypeProcExit, func(g got) bool { return g.PID == child.PID })
		wantArgs(t, ex, map[string]string{"ret": "9"})
	}

	dir, env := tmpDir(t)
	pid, evs, _ := h.run(t, "spawn", env)
	b, err := os.ReadFile(filepath.Join(dir, "spawned-pid"))
	if err != nil {
		t.Fatal(err)
	}
	spawned, _ := strconv.ParseInt(string(b), 10, 64)
	isClone := func(g got) bool { return g.Type.IsClone() }
	var parentSide, childSide []got
	for _, g := range evs {
		if !isClone(g) {
			continue
		}
		if g.PID == pid && g.Res == spawned {
			parentSide = append(parentSide, g)
		}
		if g.TID == spawned && g.Res == 0 {
			childSide = append(childSide, g)
		}
	}
	if len(parentSide) != 1 || len(childSide) != 1 {
		t.Fatalf("spawn: %d parent-side and %d child-side clone events for child %d", len(parentSide), len(childSide), spawned)
	}
	c := childSide[0]
	if c.PPID != pid || c.Type != parentSide[0].Type {
		t.Errorf("spawn child: ppid %d type %s; parent %d type %s", c.PPID, c.Type, pid, parentSide[0].Type)
	}
	if !strings.Contains(c.Args["flags"], "CLONE_VFORK") && !strings.Contains(c.Args["flags"], "CLONE_VM") {
		t.Logf("spawn child clone flags: %s", c.Args["flags"])
	}
	if c.Args["cwd"] == "" || !strings.HasPrefix(c.Args["cgroups"], selfCgroups(t)[0]) {
		t.Errorf("spawn child: cwd %q cgroups %q", c.Args["cwd"], c.Args["cgroups"])
	}
	// The spawned process's own exec follows.
	one(t, evs, event.TypeExecve, func(g got) bool { return g.PID == spawned && g.Args["exe"] == "spawned" })
	// Threads of the Go runtime are clones with CLONE_THREAD.
	threads := 0
	for _, g := range evs {
		if g.Type.IsClone() && g.PID == pid && g.Res == 0 && g.TID != pid && strings.Contains(g.Args["flags"], "CLONE_THREAD") {
			threads++
			if g.Ints["ptid"] != int64(os.Getpid()) || g.Ints["vtid"] != g.TID {
				t.Errorf("new thread %d: ptid %d vtid %d", g.TID, g.Ints["ptid"], g.Ints["vtid"])
			}
		}
	}
	if threads == 0 {
		t.Error("no thread creation seen")
	}
}

func TestProcExit(t *testing.T) {
	h := start(t)
	pid, evs, code := h.run(t, "exit3")
	if code != 3 {
		t.Fatalf("child exit code %d", code)
	}
	g := one(t, evs, event.TypeProcExit, func(g got) bool { return g.TID == pid })
	wantArgs(t, g, map[string]string{"status": "768", "ret": "3", "sig": "0", "core": "0"})
	if g.Syscall != -1 {
		t.Errorf("procexit: syscall %d, want -1", g.Syscall)
	}
}

func readPorts(t *testing.T, path string) (int, int) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var a, c int
	if _, err := fmt.Sscanf(string(b), "%d %d", &a, &c); err != nil {
		t.Fatal(err)
	}
	return a, c
}

var loopback = netip.MustParseAddr("127.0.0.1")

func TestTCP(t *testing.T) {
	h := start(t)
	dir, env := tmpDir(t)
	_, evs, _ := h.run(t, "tcp", env)
	srvPort, cliPort := readPorts(t, filepath.Join(dir, "tcp"))

	sock := one(t, evs, event.TypeSocket, func(g got) bool { return g.Args["domain"] == "AF_INET" && g.Ints["type"] == unix.SOCK_STREAM })
	c := one(t, evs, event.TypeConnect, func(g got) bool { return int(g.Tuple.DstPort) == srvPort })
	if c.Res != 0 || c.Ints["fd"] != sock.Res {
		t.Errorf("connect: res %d fd %d (socket gave %d)", c.Res, c.Ints["fd"], sock.Res)
	}
	want := event.Tuple{Family: event.FamilyInet, SrcAddr: loopback, SrcPort: uint16(cliPort), DstAddr: loopback, DstPort: uint16(srvPort)}
	if fmt.Sprint(c.Tuple) != fmt.Sprint(want) {
		t.Errorf("connect tuple %+v, want %+v", c.Tuple, want)
	}
	if c.Addr.Addr != loopback || int(c.Addr.Port) != srvPort || c.Addr.Family != event.FamilyInet {
		t.Errorf("connect addr %+v", c.Addr)
	}
	if c.Args["tuple"] != fmt.Sprintf("127.0.0.1:%d->127.0.0.1:%d", cliPort, srvPort) {
		t.Errorf("connect tuple rendering %q", c.Args["tuple"])
	}
	accepts := find(evs, event.TypeAccept4, nil)
	accepts = append(accepts, find(evs, event.TypeAccept, nil)...)
	var acc *got
	for i := range accepts {
		if accepts[i].Res >= 0 && int(accepts[i].Tuple.DstPort) == srvPort {
			acc = &accepts[i]
		}
	}
	if acc == nil {
		t.Fatalf("no successful accept on port %d among %d accept events", srvPort, len(accepts))
	}
	if int(acc.Tuple.SrcPort) != cliPort || acc.Tuple.SrcAddr != loopback {
		t.Errorf("accept tuple %+v: want remote 127.0.0.1:%d first", acc.Tuple, cliPort)
	}
	bind := one(t, evs, event.TypeBind, func(g got) bool { return g.Addr.Family == event.FamilyInet && g.Addr.Addr == loopback })
	if bind.Res != 0 {
		t.Errorf("bind: res %d", bind.Res)
	}
	one(t, evs, event.TypeListen, func(g got) bool { return g.Ints["fd"] == bind.Ints["fd"] && g.Res == 0 })
}

func TestUDP(t *testing.T) {
	h := start(t)
	dir, env := tmpDir(t)
	_, evs, _ := h.run(t, "udp", env)
	srvPort, cliPort := readPorts(t, filepath.Join(dir, "udp"))
	// The client socket is not bound to an address: its source is 0.0.0.0.
	out := fmt.Sprintf("0.0.0.0:%d->127.0.0.1:%d", cliPort, srvPort)
	in := fmt.Sprintf("127.0.0.1:%d->127.0.0.1:%d", cliPort, srvPort)
	st := one(t, evs, event.TypeSendto, argIs("tuple", out))
	if st.Res != 4 || st.Ints["size"] != 4 {
		t.Errorf("sendto: res %d size %d", st.Res, st.Ints["size"])
	}
	sm := one(t, evs, event.TypeSendmsg, argIs("tuple", out))
	if sm.Res != 4 {
		t.Errorf("sendmsg: res %d", sm.Res)
	}
	one(t, evs, event.TypeRecvfrom, func(g got) bool { return g.Args["tuple"] == in && g.Res == 4 })
	one(t, evs, event.TypeRecvmsg, func(g got) bool { return g.Args["tuple"] == in && g.Res == 4 })
}

func TestUnixSockets(t *testing.T) {
	h := start(t)
	dir, env := tmpDir(t)
	_, evs, _ := h.run(t, "unix", env)
	path := filepath.Join(dir, "sock")
	sp := one(t, evs, event.TypeSocketpair, argIs("domain", "AF_UNIX"))
	if sp.Res != 0 || sp.Ints["fd1"] < 0 || sp.Ints["fd2"] < 0 || sp.Ints["source"] == 0 || sp.Ints["peer"] == 0 {
		t.Errorf("socketpair: %v", sp.Args)
	}
	one(t, evs, event.TypeBind, func(g got) bool { return g.Addr.Family == event.FamilyUnix && string(g.Addr.Path) == path })
	one(t, evs, event.TypeListen, argIs("backlog", "7"))
	c := one(t, evs, event.TypeConnect, func(g got) bool {
		return g.Tuple.Family == event.FamilyUnix && string(g.Tuple.Path) == path
	})
	if c.Res != 0 || c.Tuple.SrcID == 0 || c.Tuple.DstID == 0 {
		t.Errorf("unix connect tuple %+v res %d", c.Tuple, c.Res)
	}
	a := one(t, evs, event.TypeAccept4, func(g got) bool {
		return g.Tuple.Family == event.FamilyUnix && string(g.Tuple.Path) == path
	})
	if a.Res < 0 || a.Args["flags"] != "O_CLOEXEC" {
		t.Errorf("unix accept4: res %d flags %q tuple %+v", a.Res, a.Args["flags"], a.Tuple)
	}
	// Abstract names are shown as Falco shows them: "@name".
	abstract := "@saker-" + filepath.Base(dir)
	one(t, evs, event.TypeBind, func(g got) bool { return string(g.Addr.Path) == abstract })
	one(t, evs, event.TypeConnect, func(g got) bool { return string(g.Tuple.Path) == abstract && g.Res == 0 })
	one(t, evs, event.TypeAccept4, func(g got) bool { return string(g.Tuple.Path) == abstract && g.Res >= 0 })
}

func TestSession(t *testing.T) {
	h := start(t)
	pid, evs, _ := h.run(t, "session")
	one(t, evs, event.TypeSetsid, func(g got) bool { return g.Res == pid })
	one(t, evs, event.TypeSetpgid, func(g got) bool {
		return g.Res == -int64(unix.EPERM) && g.Args["pid"] == "0" && g.Args["pgid"] == "0"
	})
}

func TestCredentials(t *testing.T) {
	h := start(t)
	dir, env := tmpDir(t)
	_, evs, _ := h.run(t, "creds", env)
	one(t, evs, event.TypeSetresgid, func(g got) bool {
		return g.Args["rgid"] == "1001" && g.Args["egid"] == "1002" && g.Args["sgid"] == "1003" && g.Res == 0
	})
	one(t, evs, event.TypeSetgid, func(g got) bool { return g.Args["gid"] == "1004" && g.Res == 0 })
	one(t, evs, event.TypeSetresuid, func(g got) bool {
		return g.Args["ruid"] == "2001" && g.Args["euid"] == "2002" && g.Args["suid"] == "2003" && g.Res == 0
	})
	su := one(t, evs, event.TypeSetuid, argIs("uid", "2001"))
	if su.Res != 0 || su.UID != 2001 {
		t.Errorf("setuid: res %d, euid after the call %d", su.Res, su.UID)
	}
	op := one(t, evs, event.TypeOpenat, byName(filepath.Join(dir, "as-2001")))
	if op.UID != 2001 || op.GID != 1004 {
		t.Errorf("event after setuid: uid %d gid %d, want 2001/1004", op.UID, op.GID)
	}
}

func TestMiscSyscalls(t *testing.T) {
	h := start(t)
	// After PTRACE_TRACEME every signal stops the child, and the Go
	// runtime's preemption signal (SIGURG) comes often on a slow machine
	// (emulated arm64): the child then never exits.
	_, evs, _ := h.run(t, "misc", "GODEBUG=asyncpreemptoff=1")
	pr := one(t, evs, event.TypePrctl, argIs("option", "PR_SET_NAME"))
	if pr.Args["arg2_str"] != "saker-renamed" || pr.Res != 0 {
		t.Errorf("prctl: %v res %d", pr.Args, pr.Res)
	}
	mf := one(t, evs, event.TypeMemfdCreate, argIs("name", "saker-memfd"))
	if mf.Args["flags"] != "MFD_CLOEXEC|MFD_ALLOW_SEALING" || mf.Res < 0 || mf.Comm != "saker-renamed" {
		t.Errorf("memfd_create: flags %q res %d comm %q", mf.Args["flags"], mf.Res, mf.Comm)
	}
	fm := one(t, evs, event.TypeFinitModule, argIs("uargs", "saker=1"))
	if fm.Args["fd"] != "-1" || fm.Res >= 0 {
		t.Errorf("finit_module: fd %s res %d", fm.Args["fd"], fm.Res)
	}
	im := one(t, evs, event.TypeInitModule, argIs("uargs", "saker=2"))
	if im.Res >= 0 {
		t.Errorf("init_module: res %d", im.Res)
	}
	one(t, evs, event.TypeBpf, argIs("cmd", "BPF_PROG_GET_NEXT_ID"))
	one(t, evs, event.TypePtrace, func(g got) bool { return g.Args["request"] == "PTRACE_TRACEME" && g.Res == 0 })
	one(t, evs, event.TypeUserfaultfd, func(g got) bool { return g.Ints["flags"] == unix.O_CLOEXEC })
	one(t, evs, event.TypeSetns, func(g got) bool {
		return g.Args["fd"] == "-1" && g.Args["nstype"] == "CLONE_NEWNET" && g.Res == -int64(unix.EBADF)
	})
	one(t, evs, event.TypeChroot, func(g got) bool { return g.Args["path"] == "/" && g.Res == 0 })
}

func TestMountNamespaces(t *testing.T) {
	h := start(t)
	dir, env := tmpDir(t)
	_, evs, _ := h.run(t, "ns", env)
	one(t, evs, event.TypeUnshare, func(g got) bool { return g.Args["flags"] == "CLONE_NEWNS" && g.Res == 0 })
	target := filepath.Join(dir, "mnt")
	m := one(t, evs, event.TypeMount, argIs("dir", target))
	wantArgs(t, m, map[string]string{"dev": "saker-tmpfs", "type": "tmpfs", "flags": "NOSUID|NODEV"})
	if m.Res != 0 {
		t.Errorf("mount: res %d", m.Res)
	}
	u := one(t, evs, event.TypeUmount2, argIs("name", target))
	if u.Args["flags"] != "DETACH" || u.Res != 0 {
		t.Errorf("umount2: flags %q res %d", u.Args["flags"], u.Res)
	}
}

func TestOverlayLayers(t *testing.T) {
	h := start(t)
	_, env := tmpDir(t)
	_, evs, code := h.run(t, "overlay", env)
	if code != 0 {
		t.Fatalf("overlay child exited %d", code)
	}
	lower := one(t, evs, event.TypeExecve, argIs("exe", "from-lower"))
	if !strings.Contains(lower.Args["flags"], "EXE_LOWER_LAYER") || strings.Contains(lower.Args["flags"], "EXE_UPPER_LAYER") {
		t.Errorf("exec from the lower layer: flags %q", lower.Args["flags"])
	}
	upper := one(t, evs, event.TypeExecve, argIs("exe", "from-upper"))
	if !strings.Contains(upper.Args["flags"], "EXE_UPPER_LAYER") {
		t.Errorf("exec from the upper layer: flags %q", upper.Args["flags"])
	}
	if !strings.HasSuffix(upper.Args["trusted_exepath"], "/ovl/merged/upper.test") {
		t.Errorf("exe path on overlay: %q", upper.Args["trusted_exepath"])
	}
}

// A process moved into a container-like cgroup reports that path: in the
// cgroup v1 cpu hierarchy where the host has one (as Docker on v1 hosts
// uses), else in the v2 hierarchy.
func TestCgroupPath(t *testing.T) {
	h := start(t)
	root, prefix := "/sys/fs/cgroup/cpu", "cpu="
	if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
		root, prefix = "/sys/fs/cgroup", "cgroup="
		if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
			t.Skip("no writable cgroup hierarchy at /sys/fs/cgroup")
		}
	}
	id := fmt.Sprintf("%016x%016x%016x%016x", rand.Uint64(), rand.Uint64(), rand.Uint64(), rand.Uint64())
	parent := filepath.Join(root, fmt.Sprintf("saker-test-%d", os.Getpid()))
	leaf := filepath.Join(parent, id)
	if err := os.MkdirAll(leaf, 0o755); err != nil {
		t.Skipf("cannot create a cgroup to move the child into: %v", err)
	}
	defer func() {
		os.Remove(leaf)
		os.Remove(parent)
	}()
	_, evs, code := h.run(t, "cgroup", "SAKER_CGROUP="+leaf)
	if code != 0 {
		t.Fatalf("cgroup child exited %d", code)
	}
	g := one(t, evs, event.TypeExecve, argIs("exe", "in-cgroup"))
	want := prefix + strings.TrimPrefix(leaf, root)
	if !slices.Contains(strings.Fields(g.Args["cgroups"]), want) {
		t.Errorf("cgroups %q lack %q", g.Args["cgroups"], want)
	}
}
