package rules

import (
	"fmt"
	"math/rand"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/fields"
)

// synthEvent is a syscall event of the test-only synthetic source: plain
// struct fields, read by extractors without allocating, as the real
// sensor's events will be.
type synthEvent struct {
	typ                                    int
	typeName                               string
	num                                    uint64
	res                                    string
	rawres                                 int64
	flags                                  string
	openRead, openWrite                    bool
	procName, exe, exepath, cmdline, args  string
	pname, pcmdline, pexe, pexepath, cwd   string
	sname                                  string
	anames                                 []string
	pid, ppid                              int64
	tty                                    uint64
	uid                                    uint64
	userName                               string
	loginuid                               int64
	gid                                    uint64
	groupName                              string
	fdNum                                  int64
	fdName, fdDir, fdFile, fdType, fdChar  string
	l4proto                                string
	sip                                    netip.Addr
	sport, lport, rport                    uint64
	connected                              bool
	containerID, imageRepo                 string
	privileged                             bool
	duration                               int64
	capEffective                           string
	request, domain, target, oldpath, newp string
}

func (e *synthEvent) EventType() int { return e.typ }

type synthFactory struct{}

type synthStr func(*synthEvent) string

func (f synthStr) Extract(evt fields.Event, v *fields.Value) bool {
	v.Str = f(evt.(*synthEvent))
	return true
}

// synthOptStr reports no value for empty strings (fields only some events
// carry).
type synthOptStr func(*synthEvent) string

func (f synthOptStr) Extract(evt fields.Event, v *fields.Value) bool {
	v.Str = f(evt.(*synthEvent))
	return v.Str != ""
}

type synthInt func(*synthEvent) int64

func (f synthInt) Extract(evt fields.Event, v *fields.Value) bool {
	v.Int = f(evt.(*synthEvent))
	return true
}

type synthUint func(*synthEvent) uint64

func (f synthUint) Extract(evt fields.Event, v *fields.Value) bool {
	v.Uint = f(evt.(*synthEvent))
	return true
}

type synthBool func(*synthEvent) bool

func (f synthBool) Extract(evt fields.Event, v *fields.Value) bool {
	v.Bool = f(evt.(*synthEvent))
	return true
}

type synthAname int

func (n synthAname) Extract(evt fields.Event, v *fields.Value) bool {
	e := evt.(*synthEvent)
	if int(n) < 0 {
		v.List = e.anames
		return len(e.anames) > 0
	}
	if int(n) == 0 {
		v.Str = e.procName
		return true
	}
	if int(n) > len(e.anames) {
		return false
	}
	v.Str = e.anames[n-1]
	return true
}

type synthNone struct{}

func (synthNone) Extract(fields.Event, *fields.Value) bool { return false }

func (synthFactory) NewExtractor(ref fields.Ref) (fields.Extractor, error) {
	switch ref.Field.Name {
	case "evt.type":
		return synthStr(func(e *synthEvent) string { return e.typeName }), nil
	case "evt.num":
		return synthUint(func(e *synthEvent) uint64 { return e.num }), nil
	case "evt.res":
		return synthStr(func(e *synthEvent) string { return e.res }), nil
	case "evt.rawres":
		return synthInt(func(e *synthEvent) int64 { return e.rawres }), nil
	case "evt.is_open_read":
		return synthBool(func(e *synthEvent) bool { return e.openRead }), nil
	case "evt.is_open_write":
		return synthBool(func(e *synthEvent) bool { return e.openWrite }), nil
	case "evt.arg":
		switch ref.Arg {
		case "flags":
			return synthOptStr(func(e *synthEvent) string { return e.flags }), nil
		case "request":
			return synthOptStr(func(e *synthEvent) string { return e.request }), nil
		case "domain":
			return synthOptStr(func(e *synthEvent) string { return e.domain }), nil
		case "target", "linkpath":
			return synthOptStr(func(e *synthEvent) string { return e.target }), nil
		case "oldpath":
			return synthOptStr(func(e *synthEvent) string { return e.oldpath }), nil
		case "newpath":
			return synthOptStr(func(e *synthEvent) string { return e.newp }), nil
		}
	case "proc.name":
		return synthStr(func(e *synthEvent) string { return e.procName }), nil
	case "proc.exe":
		return synthStr(func(e *synthEvent) string { return e.exe }), nil
	case "proc.exepath":
		return synthStr(func(e *synthEvent) string { return e.exepath }), nil
	case "proc.cmdline":
		return synthStr(func(e *synthEvent) string { return e.cmdline }), nil
	case "proc.args":
		return synthStr(func(e *synthEvent) string { return e.args }), nil
	case "proc.pname":
		return synthStr(func(e *synthEvent) string { return e.pname }), nil
	case "proc.pcmdline":
		return synthStr(func(e *synthEvent) string { return e.pcmdline }), nil
	case "proc.pexe":
		return synthStr(func(e *synthEvent) string { return e.pexe }), nil
	case "proc.pexepath":
		return synthStr(func(e *synthEvent) string { return e.pexepath }), nil
	case "proc.cwd":
		return synthStr(func(e *synthEvent) string { return e.cwd }), nil
	case "proc.sname":
		return synthStr(func(e *synthEvent) string { return e.sname }), nil
	case "proc.aname":
		if !ref.HasArg {
			return synthAname(-1), nil
		}
		return synthAname(ref.Index), nil
	case "proc.pid":
		return synthInt(func(e *synthEvent) int64 { return e.pid }), nil
	case "proc.ppid":
		return synthInt(func(e *synthEvent) int64 { return e.ppid }), nil
	case "proc.tty":
		return synthUint(func(e *synthEvent) uint64 { return e.tty }), nil
	case "proc.duration":
		return synthInt(func(e *synthEvent) int64 { return e.duration }), nil
	case "user.uid":
		return synthUint(func(e *synthEvent) uint64 { return e.uid }), nil
	case "user.name":
		return synthStr(func(e *synthEvent) string { return e.userName }), nil
	case "user.loginuid":
		return synthInt(func(e *synthEvent) int64 { return e.loginuid }), nil
	case "user.loginname":
		return synthStr(func(e *synthEvent) string { return e.userName }), nil
	case "group.gid":
		return synthUint(func(e *synthEvent) uint64 { return e.gid }), nil
	case "group.name":
		return synthStr(func(e *synthEvent) string { return e.groupName }), nil
	case "thread.cap_effective":
		return synthStr(func(e *synthEvent) string { return e.capEffective }), nil
	case "fd.num":
		return synthInt(func(e *synthEvent) int64 { return e.fdNum }), nil
	case "fd.name", "fd.nameraw":
		return synthOptStr(func(e *synthEvent) string { return e.fdName }), nil
	case "fd.directory":
		return synthOptStr(func(e *synthEvent) string { return e.fdDir }), nil
	case "fd.filename":
		return synthOptStr(func(e *synthEvent) string { return e.fdFile }), nil
	case "fd.type":
		return synthOptStr(func(e *synthEvent) string { return e.fdType }), nil
	case "fd.typechar":
		return synthOptStr(func(e *synthEvent) string { return e.fdChar }), nil
	case "fd.l4proto":
		return synthOptStr(func(e *synthEvent) string { return e.l4proto }), nil
	case "fd.sip", "fd.snet", "fd.net", "fd.ip":
		return fields.ExtractorFunc(func(evt fields.Event, v *fields.Value) bool {
			v.Addr = evt.(*synthEvent).sip
			return v.Addr.IsValid()
		}), nil
	case "fd.sport", "fd.port":
		return synthUint(func(e *synthEvent) uint64 { return e.sport }), nil
	case "fd.lport":
		return synthUint(func(e *synthEvent) uint64 { return e.lport }), nil
	case "fd.rport":
		return synthUint(func(e *synthEvent) uint64 { return e.rport }), nil
	case "fd.connected":
		return synthBool(func(e *synthEvent) bool { return e.connected }), nil
	case "container.id":
		return synthStr(func(e *synthEvent) string { return e.containerID }), nil
	case "container.image.repository":
		return synthOptStr(func(e *synthEvent) string { return e.imageRepo }), nil
	case "container.privileged":
		return synthBool(func(e *synthEvent) bool { return e.privileged }), nil
	}
	return synthNone{}, nil
}

// synthStream builds n events shaped like a busy Kubernetes node: mostly
// opens of libraries, /proc and config files by daemons, execs of common
// tools, connects to cluster services, and some socket, dup and sendto
// traffic. Values are realistic, and the stream is benign: the stock rules
// should not fire on it.
func synthStream(src *fields.Source, n int, seed int64) []*synthEvent {
	r := rand.New(rand.NewSource(seed))
	typ := func(name string) int {
		i, ok := src.EventTypeIndex(name)
		if !ok {
			panic(name)
		}
		return i
	}
	type proc struct{ name, exepath, args, pname, pexepath string }
	procs := []proc{
		{"nginx", "/usr/sbin/nginx", "-g daemon off;", "containerd-shim", "/usr/bin/containerd-shim-runc-v2"},
		{"node", "/usr/local/bin/node", "server.js", "containerd-shim", "/usr/bin/containerd-shim-runc-v2"},
		{"java", "/opt/java/openjdk/bin/java", "-jar app.jar", "tini", "/usr/bin/tini"},
		{"python3", "/usr/bin/python3", "manage.py runserver", "gunicorn", "/usr/local/bin/gunicorn"},
		{"kubelet", "/usr/bin/kubelet", "--config=/var/lib/kubelet/config.yaml", "systemd", "/usr/lib/systemd/systemd"},
		{"containerd", "/usr/bin/containerd", "", "systemd", "/usr/lib/systemd/systemd"},
		{"prometheus", "/bin/prometheus", "--config.file=/etc/prometheus/prometheus.yml", "containerd-shim", "/usr/bin/containerd-shim-runc-v2"},
		{"postgres", "/usr/lib/postgresql/15/bin/postgres", "-D /var/lib/postgresql/data", "postgres", "/usr/lib/postgresql/15/bin/postgres"},
	}
	execs := []proc{
		{"ls", "/usr/bin/ls", "-la /var/log", "make", "/usr/bin/make"},
		{"git", "/usr/bin/git", "status", "make", "/usr/bin/make"},
		{"date", "/usr/bin/date", "+%s", "cron", "/usr/sbin/cron"},
		{"iptables", "/usr/sbin/iptables", "-w -L -n", "kube-proxy", "/usr/local/bin/kube-proxy"},
		{"runc", "/usr/bin/runc", "--root /run/containerd/runc/k8s.io state", "containerd-shim", "/usr/bin/containerd-shim-runc-v2"},
		{"mount", "/usr/bin/mount", "-t tmpfs tmpfs /var/lib/kubelet/pods/x", "kubelet", "/usr/bin/kubelet"},
		{"go", "/usr/local/go/bin/go", "build ./...", "make", "/usr/bin/make"},
	}
	files := []string{
		"/usr/lib/x86_64-linux-gnu/libc.so.6", "/proc/self/stat", "/proc/1/cgroup", "/etc/ld.so.cache",
		"/var/log/nginx/access.log", "/etc/nginx/nginx.conf", "/sys/fs/cgroup/cpu.max", "/etc/hosts",
		"/etc/resolv.conf", "/usr/share/zoneinfo/UTC", "/var/lib/postgresql/data/base/16384/2619",
		"/tmp/app-cache/1234.tmp", "/app/node_modules/express/index.js", "/etc/ssl/certs/ca-certificates.crt",
	}
	ips := []string{"10.96.0.1", "10.244.1.17", "10.244.2.4", "172.17.0.3", "10.0.12.5"}
	containers := []string{"host", "3f2a9c1b7d4e", "b81c0d2e9f3a", "host", "71aa3e5c9d10"}
	repos := []string{"", "docker.io/library/nginx", "ghcr.io/acme/api", "", "quay.io/prometheus/prometheus"}
	out := make([]*synthEvent, n)
	for i := range out {
		p := procs[r.Intn(len(procs))]
		ci := r.Intn(len(containers))
		e := &synthEvent{
			num: uint64(i + 1), res: "SUCCESS", procName: p.name, exe: p.exepath, exepath: p.exepath, args: p.args,
			cmdline: strings.TrimSpace(p.name + " " + p.args), pname: p.pname, pcmdline: p.pname, pexe: p.pexepath,
			pexepath: p.pexepath, cwd: "/", sname: "systemd", anames: []string{p.pname, "systemd"},
			pid: int64(1000 + r.Intn(30000)), ppid: 1, uid: 0, userName: "root", loginuid: -1, gid: 0, groupName: "root",
			containerID: containers[ci], imageRepo: repos[ci], duration: int64(r.Intn(1e9)) * 1000,
			capEffective: "CAP_CHOWN CAP_NET_BIND_SERVICE",
		}
		if r.Intn(3) == 0 {
			e.uid, e.userName, e.gid, e.groupName = 1000, "app", 1000, "app"
		}
		switch k := r.Intn(100); {
		case k < 45: // open/openat
			f := files[r.Intn(len(files))]
			e.typeName = []string{"openat", "openat", "open", "openat2"}[r.Intn(4)]
			e.fdNum, e.fdName, e.fdType, e.fdChar = int64(3+r.Intn(60)), f, "file", "f"
			e.fdDir, e.fdFile = f[:strings.LastIndexByte(f, '/')], f[strings.LastIndexByte(f, '/')+1:]
			if strings.HasPrefix(f, "/var/log") || strings.HasPrefix(f, "/tmp") {
				e.openWrite, e.flags = true, "O_WRONLY|O_APPEND|O_CLOEXEC"
			} else {
				e.openRead, e.flags = true, "O_RDONLY|O_CLOEXEC"
			}
		case k < 60: // execve
			x := execs[r.Intn(len(execs))]
			e.typeName = []string{"execve", "execve", "execveat"}[r.Intn(3)]
			e.procName, e.exe, e.exepath, e.args, e.pname, e.pexepath = x.name, x.exepath, x.exepath, x.args, x.pname, x.pexepath
			e.cmdline, e.pcmdline, e.anames = x.name+" "+x.args, x.pname, []string{x.pname, "systemd"}
			e.flags, e.duration = "EXE_WRITABLE", int64(r.Intn(1000))
		case k < 75: // connect
			e.typeName, e.fdType, e.fdChar, e.l4proto = "connect", "ipv4", "4", "tcp"
			e.sip = netip.MustParseAddr(ips[r.Intn(len(ips))])
			e.sport, e.rport, e.lport = []uint64{443, 53, 5432, 6443, 8080}[r.Intn(5)], 443, uint64(30000+r.Intn(30000))
			e.fdNum, e.connected = int64(3+r.Intn(60)), true
			e.fdName = fmt.Sprintf("10.244.1.9:%d->%s:%d", e.lport, e.sip, e.sport)
		case k < 85: // sendto/sendmsg
			e.typeName, e.fdType, e.fdChar, e.l4proto = []string{"sendto", "sendmsg"}[r.Intn(2)], "ipv4", "4", "udp"
			e.sip, e.sport, e.fdNum = netip.MustParseAddr("10.96.0.10"), 53, 7
			e.fdName = "10.244.1.9:41234->10.96.0.10:53"
		case k < 92: // socket
			e.typeName, e.domain, e.fdNum = "socket", "AF_INET", 9
		case k < 97: // dup
			e.typeName, e.fdNum, e.fdType, e.fdChar, e.fdName = []string{"dup", "dup2", "dup3"}[r.Intn(3)], 1, "file", "f", "/dev/null"
		default: // a type no stock rule cares about
			e.typeName = []string{"close", "read", "mmap"}[r.Intn(3)]
		}
		e.typ = typ(e.typeName)
		out[i] = e
	}
	return out
}

func loadStock(tb testing.TB) (*Ruleset, *fields.Source) {
	tb.Helper()
	p := testutil.Upstream(tb, "rules/falco_rules.yaml")
	src := fields.Syscall().WithExtractors(synthFactory{})
	rs, _, err := Load(LoadOptions{Files: []string{p}, Sources: fields.NewRegistry(src)})
	if err != nil {
		tb.Fatal(err)
	}
	return rs, src
}

// TestSyntheticStream checks the benchmark's stream: benign events do not
// fire, and hostile variants of them do, so the benchmark measures real
// rule evaluation.
func TestSyntheticStream(t *testing.T) {
	rs, src := loadStock(t)
	var got []string
	eng, err := rs.NewEngine(EngineOptions{RuleMatching: MatchAll, OnAlert: func(a *alert.Alert) { got = append(got, a.Rule) }})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range synthStream(src, 4096, 1) {
		eng.Process(e, time.Time{})
	}
	if len(got) != 0 {
		t.Errorf("benign stream fired %d alerts, first %q", len(got), got[0])
	}
	shadow := synthStream(src, 1, 2)[0]
	openat, _ := src.EventTypeIndex("openat")
	*shadow = synthEvent{typ: openat, typeName: "openat", num: 99, res: "SUCCESS", openRead: true, flags: "O_RDONLY",
		procName: "cat", exe: "cat", exepath: "/usr/bin/cat", cmdline: "cat /etc/shadow", args: "/etc/shadow",
		pname: "bash", pcmdline: "bash", anames: []string{"bash", "sshd", "systemd"}, fdNum: 3, fdName: "/etc/shadow",
		fdDir: "/etc", fdFile: "shadow", fdType: "file", fdChar: "f", containerID: "host", userName: "root", loginuid: 1000}
	eng.Process(shadow, time.Time{})
	if len(got) != 1 || got[0] != "Read sensitive file untrusted" {
		t.Errorf("reading /etc/shadow fired %v, want [Read sensitive file untrusted]", got)
	}

	// kubectl exec -it into a container: bash with a terminal, parent runc.
	got = nil
	execve, _ := src.EventTypeIndex("execve")
	shell := &synthEvent{typ: execve, typeName: "execve", num: 100, res: "SUCCESS", procName: "bash", exe: "bash",
		exepath: "/bin/bash", cmdline: "bash", pname: "runc:[1:CHILD]", anames: []string{"runc:[1:CHILD]", "containerd-shim"},
		tty: 34816, containerID: "3f2a9c1b7d4e", imageRepo: "docker.io/library/nginx", userName: "root", loginuid: -1, flags: "EXE_WRITABLE"}
	var alerts []*alert.Alert
	eng2, _ := rs.NewEngine(EngineOptions{RuleMatching: MatchAll, OnAlert: func(a *alert.Alert) { alerts = append(alerts, a) }})
	eng2.Process(shell, time.Unix(1700000000, 5))
	if len(alerts) != 1 || alerts[0].Rule != "Terminal shell in container" {
		t.Fatalf("shell in container fired %v", names(alerts))
	}
	a := alerts[0]
	want := "A shell was spawned in a container with an attached terminal | evt_type=execve user=root user_uid=0 user_loginuid=-1 process=bash proc_exepath=/bin/bash parent=runc:[1:CHILD] command=bash terminal=34816 exe_flags=EXE_WRITABLE"
	if a.Output != want || a.Priority != alert.PriorityNotice {
		t.Errorf("output %q\nwant   %q", a.Output, want)
	}
	shell.tty = 0
	alerts = nil
	eng2.Process(shell, time.Time{})
	if len(alerts) != 0 {
		t.Errorf("shell without a terminal fired %v", names(alerts))
	}
}

// BenchmarkStockRules evaluates the unmodified stock falco_rules.yaml
// against the synthetic stream; one op is one event.
func BenchmarkStockRules(b *testing.B) {
	rs, src := loadStock(b)
	eng, err := rs.NewEngine(EngineOptions{RuleMatching: MatchAll})
	if err != nil {
		b.Fatal(err)
	}
	stream := synthStream(src, 4096, 1)
	matches := 0
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		matches += eng.Process(stream[i&4095], time.Time{})
	}
	// events/s is per wall-clock second; events/cpu-s per second of CPU
	// the process got, which is what "per core" means on a shared machine.
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
	}
	if matches != 0 {
		b.Fatalf("%d matches on a benign stream", matches)
	}
}
