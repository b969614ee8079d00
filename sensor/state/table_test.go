package state

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/sakersec/saker/sensor/event"
	"github.com/sakersec/saker/sensor/internal/eventtest"
)

// mk builds an event of type typ whose record arguments come from args by
// name: string, []string (lists), int64, event.Tuple or event.SockAddr.
func mk(t testing.TB, typ event.Type, pid, ppid, res int64, args map[string]any) *event.Event {
	t.Helper()
	ev := &event.Event{Type: typ, TID: pid, PID: pid, PPID: ppid, Res: res, Num: 1, TS: 1}
	copy(ev.Comm[:], "test")
	if err := ev.SetArgs(eventtest.Args(t, typ, args)); err != nil {
		t.Fatal(err)
	}
	return ev
}

func newTable() *Table {
	return New(Options{ProcRoot: "/nonexistent", HostRoot: "/nonexistent"})
}

func TestExecCloneOpenClose(t *testing.T) {
	tb := newTable()
	parent := mk(t, event.TypeExecve, 100, 1, 0, map[string]any{
		"exe": "bash", "args": []string{"-c", "x"}, "cwd": "/home/u", "env": []string{"A=1", "B=2"},
		"loginuid": int64(1000), "tty": int64(34816), "trusted_exepath": "/usr/bin/bash",
		"cgroups": []string{"cpu=/", "cgroup=/system.slice/docker-" + id64 + ".scope"},
	})
	copy(parent.Comm[:], "bash\x00")
	p := tb.Update(parent)
	if p.Comm != "bash" || p.ExePath != "/usr/bin/bash" || p.Cwd != "/home/u" || p.LoginUID != 1000 || p.TTY == 0 {
		t.Fatalf("exec state %+v", p)
	}
	if string(p.Cmdline(nil)) != "bash -c x" || string(p.EnvLine(nil)) != "A=1 B=2" {
		t.Errorf("cmdline %q env %q", p.Cmdline(nil), p.EnvLine(nil))
	}
	if v, _ := p.Getenv("B"); v != "2" {
		t.Errorf("getenv B = %q", v)
	}
	if p.ContainerID != id64 {
		t.Errorf("container id %q", p.ContainerID)
	}

	// The parent's side of fork creates the child as a copy.
	tb.Update(mk(t, event.TypeClone, 100, 1, 101, nil))
	c := tb.Get(101)
	if c == nil || c.Comm != "bash" || c.PPID != 100 || c.Cwd != "/home/u" {
		t.Fatalf("child %+v", c)
	}
	if tb.Ancestor(c, 1) != p {
		t.Error("parent chain broken")
	}

	// Relative open in the child: resolved against its cwd, "../" cleaned.
	ev := mk(t, event.TypeOpenat, 101, 100, 3, map[string]any{"dirfd": int64(-100), "name": "../../etc/./shadow", "flags": int64(event.OpenRead)})
	tb.Update(ev)
	fd := c.FDs.Get(3)
	if fd == nil || fd.Name != "/etc/shadow" || fd.NameRaw != "../../etc/./shadow" || fd.Type != FDFile {
		t.Fatalf("fd %+v", fd)
	}
	// openat relative to a directory fd.
	tb.Update(mk(t, event.TypeOpenat, 101, 100, 4, map[string]any{"dirfd": int64(-100), "name": "/var/log", "flags": int64(event.OpenRead | event.OpenDirectory)}))
	tb.Update(mk(t, event.TypeOpenat, 101, 100, 5, map[string]any{"dirfd": int64(4), "name": "syslog", "flags": int64(event.OpenWrite)}))
	if f := c.FDs.Get(5); f == nil || f.Name != "/var/log/syslog" {
		t.Errorf("dirfd-relative open: %+v", f)
	}
	if f := c.FDs.Get(4); f.Type != FDDirectory || f.Type.Char() != "d" {
		t.Errorf("directory fd %+v", f)
	}

	// close keeps the fd for the close event itself.
	tb.Update(mk(t, event.TypeClose, 101, 100, 0, map[string]any{"fd": int64(3)}))
	if c.FDs.Get(3) == nil {
		t.Error("fd gone during its close event")
	}
	tb.Update(mk(t, event.TypeDup2, 101, 100, 9, map[string]any{"oldfd": int64(5), "newfd": int64(9)}))
	if c.FDs.Get(3) != nil {
		t.Error("fd still there after the close")
	}
	if f := c.FDs.Get(9); f == nil || f.Name != "/var/log/syslog" {
		t.Errorf("dup2: %+v", f)
	}

	tb.Update(mk(t, event.TypeProcExit, 101, 100, 0, nil))
	if !c.Exited {
		t.Error("procexit not recorded")
	}
}

const id64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestSockets(t *testing.T) {
	tb := newTable()
	tb.Update(mk(t, event.TypeSocket, 7, 1, 3, map[string]any{"domain": int64(2), "type": int64(1 | 0x80000), "proto": int64(0)}))
	tu := event.Tuple{Family: event.FamilyInet, SrcAddr: netip.MustParseAddr("10.0.0.2"), SrcPort: 40000, DstAddr: netip.MustParseAddr("1.2.3.4"), DstPort: 443}
	ev := mk(t, event.TypeConnect, 7, 1, 0, map[string]any{"tuple": tu, "fd": int64(3)})
	ev.Num = 42
	p := tb.Update(ev)
	f := p.FDs.Get(3)
	if f == nil || f.Type != FDIPv4 || f.L4 != L4TCP || f.Name != "10.0.0.2:40000->1.2.3.4:443" || !f.Connected {
		t.Fatalf("connect fd %+v", f)
	}
	if f.RemoteIP() != tu.DstAddr || f.RemotePort() != 443 || f.LocalPort() != 40000 || !f.NameChanged(42) {
		t.Errorf("endpoints %+v", f)
	}
	acc := event.Tuple{Family: event.FamilyInet6, SrcAddr: netip.MustParseAddr("::1"), SrcPort: 5555, DstAddr: netip.MustParseAddr("::1"), DstPort: 80}
	tb.Update(mk(t, event.TypeAccept4, 7, 1, 8, map[string]any{"tuple": acc, "fd_listen": int64(3)}))
	if f := p.FDs.Get(8); f == nil || !f.IsServer || f.Type != FDIPv6 || f.SPort != 80 || f.LocalPort() != 80 || f.RemotePort() != 5555 {
		t.Errorf("accept fd %+v", f)
	}
	tb.Update(mk(t, event.TypePipe2, 7, 1, 0, map[string]any{"fd1": int64(10), "fd2": int64(11), "ino": int64(77)}))
	if f := p.FDs.Get(11); f == nil || f.Type != FDPipe || f.Name != "pipe:[77]" {
		t.Errorf("pipe %+v", f)
	}
}

func TestContainerIDFromCgroup(t *testing.T) {
	for in, want := range map[string][2]string{
		"/docker/" + id64:                                             {id64, RuntimeDocker},
		"/system.slice/docker-" + id64 + ".scope":                     {id64, RuntimeDocker},
		"/kubepods/burstable/podX/cri-containerd-" + id64 + ".scope":  {id64, RuntimeContainerd},
		"/kubepods.slice/kubepods-pod1.slice/crio-" + id64 + ".scope": {id64, RuntimeCRIO},
		"/machine.slice/libpod-" + id64 + ".scope/container":          {id64, RuntimePodman},
		"/kubepods/besteffort/pod1/" + id64:                           {id64, RuntimeContainerd},
		"/user.slice/user-1000.slice/session-2.scope":                 {"", ""},
		"/process_api/c4697dc9268034876bceed432a3c3fd5":               {"", ""},
		"/": {"", ""},
	} {
		id, rt := ContainerIDFromCgroup([]byte(in))
		if id != want[0] || rt != want[1] {
			t.Errorf("%s: got %q %q want %v", in, id, rt, want)
		}
	}
}

func TestSplitImage(t *testing.T) {
	for in, want := range map[string][3]string{
		"busybox":                   {"busybox", "latest", ""},
		"localhost:5000/a/b:1.2":    {"localhost:5000/a/b", "1.2", ""},
		"saker-test/busybox:static": {"saker-test/busybox", "static", ""},
		"nginx@sha256:abc":          {"nginx", "", "sha256:abc"},
		"registry:5000/nginx":       {"registry:5000/nginx", "latest", ""},
	} {
		r, tg, d := SplitImage(in)
		if [3]string{r, tg, d} != want {
			t.Errorf("%s: %q %q %q", in, r, tg, d)
		}
	}
}

func TestScanFindsThisProcess(t *testing.T) {
	tb := New(Options{})
	if err := tb.Scan(); err != nil {
		t.Fatal(err)
	}
	p := tb.Get(int64(os.Getpid()))
	if p == nil {
		t.Fatal("own process not found by the scan")
	}
	exe, _ := os.Executable()
	if p.ExePath != exe || p.PPID != int64(os.Getppid()) || p.Comm == "" || p.StartTS == 0 {
		t.Errorf("scanned %+v (exe %s)", p, exe)
	}
	wd, _ := os.Getwd()
	if p.Cwd != wd {
		t.Errorf("cwd %q want %q", p.Cwd, wd)
	}
	f, err := os.Open("table_test.go")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tb2 := New(Options{})
	p2 := tb2.readProc(int64(os.Getpid()))
	if fd := p2.FDs.Get(int64(f.Fd())); fd == nil || fd.Name != filepath.Join(wd, "table_test.go") {
		t.Errorf("open file not found in the scanned fds: %+v", fd)
	}
}

func TestUsers(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\nstaff:x:50:alice\n"), 0o644)
	u := NewUsers(root)
	if usr, ok := u.User(1000); !ok || usr.Name != "alice" || usr.Home != "/home/alice" {
		t.Errorf("user 1000 = %+v", usr)
	}
	if g, ok := u.Group(50); !ok || g != "staff" {
		t.Errorf("group 50 = %q", g)
	}
	if _, ok := u.User(4242); ok {
		t.Error("unknown uid resolved")
	}
}

func TestCapacityEvictsExitedFirst(t *testing.T) {
	tb := New(Options{ProcRoot: "/nonexistent", HostRoot: "/nonexistent", Capacity: 32})
	for pid := int64(1); pid <= 32; pid++ {
		p := tb.Update(mk(t, event.TypeExecve, pid, 1, 0, map[string]any{"exe": "x"}))
		p.Exited = pid%2 == 0
	}
	tb.Update(mk(t, event.TypeExecve, 1000, 1, 0, map[string]any{"exe": "y"}))
	if tb.Len() > 32 {
		t.Errorf("table grew to %d", tb.Len())
	}
	for pid := int64(1); pid <= 32; pid += 2 {
		if tb.Get(pid) == nil {
			t.Errorf("live process %d evicted while exited ones remained", pid)
		}
	}
}

// A snapshot replayed into an empty table reproduces processes and files.
func TestSnapshotRoundTrip(t *testing.T) {
	tb := newTable()
	tb.Update(mk(t, event.TypeExecve, 100, 1, 0, map[string]any{
		"exe": "nginx", "args": []string{"-g", "x"}, "cwd": "/srv", "trusted_exepath": "/usr/sbin/nginx", "loginuid": int64(1000),
		"cgroups": []string{"cgroup=/docker/" + id64},
	}))
	tb.Update(mk(t, event.TypeOpenat, 100, 1, 7, map[string]any{"dirfd": int64(-100), "name": "/var/log/x.log", "flags": int64(event.OpenWrite)}))
	replayed := newTable()
	n := 0
	err := tb.Snapshot(5, func(ev *event.Event) error {
		if !IsSnapshot(ev) {
			t.Error("snapshot event not marked")
		}
		n++
		replayed.Update(ev)
		return nil
	})
	if err != nil || n != 2 {
		t.Fatalf("snapshot: %v, %d events", err, n)
	}
	p := replayed.Get(100)
	if p == nil || p.Comm != "test" || p.ExePath != "/usr/sbin/nginx" || p.CmdlineString() != "test -g x" || p.LoginUID != 1000 || p.ContainerID != id64 || p.Cwd != "/srv" {
		t.Fatalf("replayed %+v", p)
	}
	if f := p.FDs.Get(7); f == nil || f.Name != "/var/log/x.log" {
		t.Errorf("replayed fd %+v", f)
	}
}

// Exited processes are removed once enough newer ones have exited, so the
// table does not grow with every short-lived process.
func TestExitedProcessesArePurged(t *testing.T) {
	tb := newTable()
	for pid := int64(1000); pid < 1000+exitedKeep+100; pid++ {
		tb.Update(mk(t, event.TypeExecve, pid, 1, 0, map[string]any{"exe": "x"}))
		tb.Update(mk(t, event.TypeOpenat, pid, 1, 3, map[string]any{"dirfd": int64(-100), "name": "/tmp/f", "flags": int64(event.OpenRead)}))
		tb.Update(mk(t, event.TypeProcExit, pid, 1, 0, nil))
	}
	if tb.Len() > exitedKeep+1 {
		t.Errorf("table holds %d processes after %d exits", tb.Len(), exitedKeep+100)
	}
	if tb.Get(1000) != nil {
		t.Error("oldest exited process still present")
	}
	if p := tb.Get(1000 + exitedKeep + 99); p == nil || !p.Exited {
		t.Error("recently exited process forgotten too early")
	}
}

// Offline (a replay), the child side of a fork seen before the parent's
// side still inherits the parent's state.
func TestChildSideFirstInheritsParent(t *testing.T) {
	tb := newTable()
	tb.Update(mk(t, event.TypeExecve, 10, 1, 0, map[string]any{"exe": "nginx", "args": []string{"-g"}, "cwd": "/srv", "env": []string{"A=1"}}))
	tb.Update(mk(t, event.TypeOpenat, 10, 1, 4, map[string]any{"dirfd": int64(-100), "name": "/var/log/a", "flags": int64(event.OpenWrite)}))
	c := tb.Update(mk(t, event.TypeClone, 11, 10, 0, map[string]any{"exe": "nginx", "cwd": "/srv"}))
	if c.PID != 11 || c.PPID != 10 || c.CmdlineString() != "test -g" || c.EnvString() != "A=1" || c.FDs.Get(4) == nil {
		t.Errorf("child %+v", c)
	}
}

func FuzzContainerIDFromCgroup(f *testing.F) {
	f.Add("/system.slice/docker-" + id64 + ".scope")
	f.Add("/docker/" + id64[:40])
	f.Fuzz(func(t *testing.T, p string) {
		id, rt := ContainerIDFromCgroup([]byte(p))
		if (id == "") != (rt == "") || (id != "" && (len(id) < minTruncatedID || len(id) > 64 || !isHex(id))) {
			t.Fatalf("%q -> %q %q", p, id, rt)
		}
	})
}

// A duplicated descriptor is its own copy: closing the original, and the
// recycling of the original's memory for a new open, leave it unchanged.
func TestDupSurvivesClose(t *testing.T) {
	tb := newTable()
	tb.Update(mk(t, event.TypeOpenat, 60, 1, 3, map[string]any{"dirfd": int64(-100), "name": "/etc/hosts", "flags": int64(event.OpenRead)}))
	tb.Update(mk(t, event.TypeDup, 60, 1, 4, map[string]any{"oldfd": int64(3)}))
	tb.Update(mk(t, event.TypeFcntl, 60, 1, 7, map[string]any{"fd": int64(3), "cmd": int64(1030)}))
	tb.Update(mk(t, event.TypeClose, 60, 1, 0, map[string]any{"fd": int64(3)}))
	for i := 0; i < 3; i++ {
		tb.Update(mk(t, event.TypeOpenat, 60, 1, 3, map[string]any{"dirfd": int64(-100), "name": "/etc/passwd", "flags": int64(event.OpenRead)}))
		tb.Update(mk(t, event.TypeClose, 60, 1, 0, map[string]any{"fd": int64(3)}))
	}
	p := tb.Get(60)
	for _, n := range []int64{4, 7} {
		if f := p.FDs.Get(n); f == nil || f.Name != "/etc/hosts" || f.Num != n {
			t.Errorf("fd %d after the original's close: %+v", n, f)
		}
	}
	if p.FDs.Len() != 3 { // 4, 7 and the last /etc/passwd until its pending close applies
		t.Errorf("%d fds open", p.FDs.Len())
	}
}

// setsid and setpgid move processes between sessions and process groups,
// which proc.sid, proc.sname and proc.vpgid read.
func TestSessionsAndGroups(t *testing.T) {
	tb := newTable()
	tb.Update(mk(t, event.TypeExecve, 100, 1, 0, map[string]any{"exe": "sshd"}))
	tb.Update(mk(t, event.TypeClone, 100, 1, 101, nil))
	tb.Update(mk(t, event.TypeClone, 100, 1, 102, nil))
	tb.Update(mk(t, event.TypeSetsid, 101, 100, 101, nil))
	if c := tb.Get(101); c.SID != 101 || c.PGID != 101 {
		t.Errorf("after setsid: sid %d pgid %d, want 101 101", c.SID, c.PGID)
	}
	// A failed setsid changes nothing.
	tb.Update(mk(t, event.TypeSetsid, 102, 100, -1, nil))
	if c := tb.Get(102); c.SID == 102 {
		t.Error("a failed setsid made 102 a session leader")
	}
	// setpgid(0, 0): the caller's own group; setpgid(pid, pgid): another's.
	tb.Update(mk(t, event.TypeSetpgid, 102, 100, 0, map[string]any{"pid": int64(0), "pgid": int64(0)}))
	if c := tb.Get(102); c.PGID != 102 {
		t.Errorf("setpgid(0, 0): pgid %d, want 102", c.PGID)
	}
	tb.Update(mk(t, event.TypeSetpgid, 100, 1, 0, map[string]any{"pid": int64(102), "pgid": int64(101)}))
	if c := tb.Get(102); c.PGID != 101 {
		t.Errorf("setpgid(102, 101) by the parent: pgid %d, want 101", c.PGID)
	}
}
