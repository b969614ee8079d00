package syscall

import (
	"net/netip"
	"os"
	"regexp"
	"sort"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/sensor/event"
	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/internal/eventtest"
	"github.com/sakersec/saker/sensor/state"
)

var quoted = regexp.MustCompile(`"[^"]*"|'[^']*'`)

var fieldRE = regexp.MustCompile(`\b(?:evt|proc|fd|user|group|container|k8s|thread|fs)\.[A-Za-z0-9_.]*[A-Za-z0-9_](?:\[[^\]]*\])?`)

// Every field a condition or output of the stock rules names resolves
// against the syscall source and compiles into an extractor.
func TestStockRulesFieldsExtractable(t *testing.T) {
	p := testutil.Upstream(t, "rules/falco_rules.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	if err := yaml.Unmarshal(b, &items); err != nil {
		t.Fatal(err)
	}
	src := Source()
	seen := map[string]bool{}
	for _, it := range items {
		for _, key := range []string{"condition", "output"} {
			s, _ := it[key].(string)
			s = quoted.ReplaceAllString(s, `""`)
			for _, m := range fieldRE.FindAllStringIndex(s, -1) {
				// Skip image names such as registry.k8s.io/... in inline lists.
				if m[0] > 0 && (s[m[0]-1] == '.' || s[m[0]-1] == '/' || s[m[0]-1] == '-') {
					continue
				}
				seen[s[m[0]:m[1]]] = true
			}
		}
	}
	if len(seen) < 40 {
		t.Fatalf("only %d fields found in %s", len(seen), p)
	}
	names := make([]string, 0, len(seen))
	for f := range seen {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		ref, err := src.Resolve(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if _, err := src.Extractors().NewExtractor(ref); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// Every declared field compiles; noValue lists the ones without data.
func TestDeclaredFieldsCoverage(t *testing.T) {
	for _, f := range fields.SyscallFields {
		if !Has(f.Name) {
			t.Errorf("declared field %s has no extractor", f.Name)
		}
	}
	if len(noValue) > len(fields.SyscallFields)/4 {
		t.Errorf("%d of %d fields never have a value", len(noValue), len(fields.SyscallFields))
	}
}

func mk(t testing.TB, typ event.Type, pid, ppid, res int64, args map[string]any) *event.Event {
	t.Helper()
	ev := &event.Event{Type: typ, TID: pid, PID: pid, PPID: ppid, Res: res, Num: 7, TS: 2e18}
	if err := ev.SetArgs(eventtest.Args(t, typ, args)); err != nil {
		t.Fatal(err)
	}
	return ev
}

type harness struct {
	t   *testing.T
	tb  *state.Table
	src *fields.Source
	ev  Event
}

func newHarness(t *testing.T) *harness {
	root := t.TempDir()
	os.MkdirAll(root+"/etc", 0o755)
	os.WriteFile(root+"/etc/passwd", []byte("root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n"), 0o644)
	os.WriteFile(root+"/etc/group", []byte("root:x:0:\nalice:x:1000:\n"), 0o644)
	c := state.NewContainers(state.ContainersOptions{DockerSocket: "/nonexistent"})
	tb := state.New(state.Options{ProcRoot: "/nonexistent", HostRoot: root, Containers: c})
	h := &harness{t: t, tb: tb, src: Source()}
	h.ev.State = tb
	h.ev.Hostname = "node1"
	return h
}

func (h *harness) apply(ev *event.Event, comm string) {
	copy(ev.Comm[:], comm+"\x00")
	p := h.tb.Update(ev)
	h.ev.Set(ev, p)
}

// get extracts field f from the current event: the string form of the
// value, or "<NA>".
func (h *harness) get(f string) any {
	h.t.Helper()
	ref, err := h.src.Resolve(f)
	if err != nil {
		h.t.Fatalf("%s: %v", f, err)
	}
	x, err := h.src.Extractors().NewExtractor(ref)
	if err != nil {
		h.t.Fatalf("%s: %v", f, err)
	}
	var v fields.Value
	if !x.Extract(&h.ev, &v) {
		return "<NA>"
	}
	if ref.Multi() != fields.Single {
		return v.List
	}
	switch ref.Field.Type {
	case fields.TypeString:
		return v.Str
	case fields.TypeInt, fields.TypeRelTime:
		return v.Int
	case fields.TypeUint, fields.TypePort, fields.TypeAbsTime:
		return v.Uint
	case fields.TypeBool:
		return v.Bool
	case fields.TypeIPAddr, fields.TypeIPNet:
		return v.Addr.String()
	}
	return v
}

func (h *harness) expect(want map[string]any) {
	h.t.Helper()
	for f, w := range want {
		got := h.get(f)
		if gs, ok := got.([]string); ok {
			ws, _ := w.([]string)
			if len(gs) != len(ws) {
				h.t.Errorf("%s = %v, want %v", f, gs, w)
				continue
			}
			for i := range gs {
				if gs[i] != ws[i] {
					h.t.Errorf("%s = %v, want %v", f, gs, w)
				}
			}
			continue
		}
		if got != w {
			h.t.Errorf("%s = %#v, want %#v", f, got, w)
		}
	}
}

func TestProcessAndFileFields(t *testing.T) {
	h := newHarness(t)
	h.apply(mk(t, event.TypeExecve, 10, 1, 0, map[string]any{"exe": "nginx", "args": []string{"-g", "daemon off;"}, "cwd": "/srv", "trusted_exepath": "/usr/sbin/nginx"}), "nginx")
	h.apply(mk(t, event.TypeClone, 10, 1, 20, nil), "nginx")
	ev := mk(t, event.TypeExecve, 20, 10, 0, map[string]any{
		"exe": "sh", "args": []string{"-c", "cat /etc/shadow"}, "cwd": "/srv/www", "env": []string{"PATH=/bin", "X=1"},
		"trusted_exepath": "/bin/dash", "loginuid": int64(1000), "tty": int64(0x8800001), "cap_effective": int64(1<<21 | 1),
		"flags": int64(event.ExeWritable),
	})
	ev.UID, ev.GID = 1000, 1000
	h.apply(ev, "sh")
	h.expect(map[string]any{
		"proc.name": "sh", "proc.exe": "sh", "proc.exepath": "/bin/dash", "proc.args": "-c cat /etc/shadow",
		"proc.cmdline": "sh -c cat /etc/shadow", "proc.pname": "nginx", "proc.pcmdline": "nginx -g daemon off;",
		"proc.pexepath": "/usr/sbin/nginx", "proc.aname[1]": "nginx", "proc.aname[2]": "<NA>", "proc.aname": []string{"nginx"},
		"proc.apid[1]": int64(10), "proc.env": "PATH=/bin X=1", "proc.env[X]": "1", "proc.cwd": "/srv/www/",
		"user.uid": uint64(1000), "user.name": "alice", "user.loginuid": int64(1000), "user.loginname": "alice",
		"group.name": "alice", "proc.tty": uint64(0x8800001), "thread.cap_effective": "CAP_CHOWN CAP_SYS_ADMIN",
		"evt.type": "execve", "evt.res": "SUCCESS", "evt.arg.flags": "EXE_WRITABLE", "container.id": "host",
		"container.name": "host", "container.image.repository": "<NA>", "evt.hostname": "node1", "proc.is_exe_writable": true,
		"proc.is_exe_from_memfd": false, "k8s.ns.name": "<NA>",
	})

	// A relative traversal open in the child: fd.name resolved, fd.nameraw as passed.
	h.apply(mk(t, event.TypeOpenat, 20, 10, 3, map[string]any{"dirfd": int64(-100), "name": "../../etc/shadow", "flags": int64(event.OpenRead)}), "sh")
	h.expect(map[string]any{
		"fd.name": "/etc/shadow", "fd.nameraw": "../../etc/shadow", "fd.directory": "/etc", "fd.filename": "shadow",
		"fd.typechar": "f", "fd.type": "file", "fd.num": int64(3), "evt.is_open_read": true, "evt.is_open_write": false,
		"evt.arg.name": "/etc/shadow", "evt.rawarg.name": "../../etc/shadow", "evt.arg.flags": "O_RDONLY",
	})
	// A failed open still names its file.
	h.apply(mk(t, event.TypeOpenat, 20, 10, -13, map[string]any{"dirfd": int64(-100), "name": "/etc/sudoers", "flags": int64(event.OpenRead)}), "sh")
	h.expect(map[string]any{"fd.name": "/etc/sudoers", "evt.res": "EACCES", "evt.rawres": int64(-13), "fd.num": int64(-1)})

	h.apply(mk(t, event.TypeLinkat, 20, 10, 0, map[string]any{"olddir": int64(-100), "oldpath": "/etc/shadow", "newdir": int64(-100), "newpath": "x"}), "sh")
	h.expect(map[string]any{"evt.arg.oldpath": "/etc/shadow", "evt.arg.newpath": "/srv/www/x", "fs.path.source": "/etc/shadow", "fs.path.targetraw": "x"})
	h.apply(mk(t, event.TypeSymlinkat, 20, 10, 0, map[string]any{"target": "/etc/shadow", "linkdirfd": int64(-100), "linkpath": "/tmp/s"}), "sh")
	h.expect(map[string]any{"evt.arg.target": "/etc/shadow", "evt.arg.linkpath": "/tmp/s"})
}

func TestNetworkFields(t *testing.T) {
	h := newHarness(t)
	h.apply(mk(t, event.TypeSocket, 30, 1, 5, map[string]any{"domain": int64(2), "type": int64(1), "proto": int64(6)}), "curl")
	h.expect(map[string]any{"fd.type": "ipv4", "fd.typechar": "4", "fd.l4proto": "tcp", "evt.arg.domain": "AF_INET", "fd.connected": false})
	tu := event.Tuple{Family: event.FamilyInet, SrcAddr: netip.MustParseAddr("10.1.1.1"), SrcPort: 50000, DstAddr: netip.MustParseAddr("93.184.216.34"), DstPort: 443}
	h.apply(mk(t, event.TypeConnect, 30, 1, 0, map[string]any{"tuple": tu, "fd": int64(5)}), "curl")
	h.expect(fieldMap{
		"fd.name": "10.1.1.1:50000->93.184.216.34:443", "fd.sip": "93.184.216.34", "fd.cip": "10.1.1.1", "fd.rip": "93.184.216.34",
		"fd.sport": uint64(443), "fd.dport": "", "fd.rport": uint64(443), "fd.lport": uint64(50000), "fd.connected": true,
		"fd.name_changed": true, "fd.net": "10.1.1.1", "fd.snet": "93.184.216.34", "fd.sockfamily": "ip", "fd.is_server": false,
	}.without("fd.dport"))
}

type fieldMap map[string]any

func (m fieldMap) without(k string) map[string]any {
	delete(m, k)
	return m
}

func TestContainerFields(t *testing.T) {
	h := newHarness(t)
	id := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	h.tb.Containers().Set(&state.Container{ID: id, Type: "docker", Name: "web", Image: "saker/busybox:1.0", ImageRepository: "saker/busybox", ImageTag: "1.0",
		Labels: map[string]string{"io.kubernetes.pod.name": "web-0", "io.kubernetes.pod.namespace": "prod"}, Privileged: true, Resolved: true, StartTS: 5})
	h.apply(mk(t, event.TypeExecve, 40, 1, 0, map[string]any{"exe": "sh", "cgroups": []string{"cgroup=/system.slice/docker-" + id + ".scope"}}), "sh")
	h.expect(map[string]any{
		"container.id": id[:12], "container.full_id": id, "container.name": "web", "container.image": "saker/busybox:1.0",
		"container.image.repository": "saker/busybox", "container.image.tag": "1.0", "container.privileged": true,
		"k8s.pod.name": "web-0", "k8s.ns.name": "prod", "container.start_ts": uint64(5), "container.type": "docker",
		"container.label[io.kubernetes.pod.name]": "web-0",
		// Docker has no pod labels apart from the container's.
		"k8s.pod.label[io.kubernetes.pod.namespace]": "prod",
	})
}

// Under the CRI the pod's own labels (app=...) come from the pod sandbox,
// not from the container's io.kubernetes.* labels.
func TestPodLabelsFromTheSandbox(t *testing.T) {
	h := newHarness(t)
	id := "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	h.tb.Containers().Set(&state.Container{ID: id, Type: "containerd", Name: "web", Resolved: true,
		Labels:    map[string]string{"io.kubernetes.pod.name": "web-0", "io.kubernetes.pod.namespace": "prod"},
		PodLabels: map[string]string{"app": "web", "tier": "front"}})
	h.apply(mk(t, event.TypeExecve, 41, 1, 0, map[string]any{"exe": "sh", "cgroups": []string{"cgroup=/kubepods/besteffort/pod1/cri-containerd-" + id + ".scope"}}), "sh")
	h.expect(map[string]any{
		"k8s.pod.name": "web-0", "k8s.pod.label[app]": "web", "k8s.pod.labels": "app:web, tier:front",
		"container.label[app]": "<NA>",
	})
}

// Arguments by name and by position, paths made absolute against the
// right directory (a dirfd or the cwd), raw forms as passed.
func TestArgumentFields(t *testing.T) {
	h := newHarness(t)
	h.apply(mk(t, event.TypeExecve, 50, 1, 0, map[string]any{"exe": "app", "cwd": "/srv"}), "app")
	h.apply(mk(t, event.TypeOpenat, 50, 1, 5, map[string]any{"dirfd": int64(-100), "name": "data", "flags": int64(event.OpenRead | event.OpenDirectory)}), "app")
	h.expect(map[string]any{"fd.name": "/srv/data", "fd.type": "directory"})

	h.apply(mk(t, event.TypeOpenat, 50, 1, 6, map[string]any{"dirfd": int64(5), "name": "logs/../a.log", "flags": int64(event.OpenWrite | event.OpenCreat), "mode": int64(0o755)}), "app")
	h.expect(map[string]any{
		"fd.name": "/srv/data/a.log", "fd.nameraw": "logs/../a.log", "evt.arg.name": "/srv/data/a.log", "evt.arg[2]": "/srv/data/a.log",
		"evt.arg[name]": "/srv/data/a.log", "evt.rawarg.name": "logs/../a.log", "evt.abspath": "/srv/data/a.log",
		"evt.abspath[name]": "/srv/data/a.log", "evt.abspath[path]": "<NA>", "fs.path.name": "/srv/data/a.log",
		"fs.path.nameraw": "logs/../a.log", "fs.path.source": "<NA>", "evt.arg.dirfd": "5", "evt.rawarg.dirfd": "5",
		"evt.arg[1]": "5", "evt.arg.fd": "6", "evt.arg[0]": "6", "evt.arg.mode": "0755", "evt.rawarg.mode": "493",
		"evt.arg.flags": "O_CREAT|O_WRONLY", "evt.arg.nosuch": "<NA>", "evt.arg[7]": "<NA>", "evt.arg[99]": "<NA>",
		"evt.is_open_exec": true, "evt.is_open_write": true, "evt.type.is[openat]": true, "evt.type.is[open]": false,
		"evt.type.is[nosuch]": false,
	})

	// A failed relative open still names its file, from the cwd.
	h.apply(mk(t, event.TypeOpen, 50, 1, -2, map[string]any{"name": "./missing/../conf", "flags": int64(event.OpenRead)}), "app")
	h.expect(map[string]any{"fd.name": "/srv/conf", "fd.nameraw": "./missing/../conf", "fd.num": int64(-1), "fd.type": "file", "evt.abspath": "/srv/conf"})

	// A symlink's target is text: never resolved.
	h.apply(mk(t, event.TypeSymlinkat, 50, 1, 0, map[string]any{"target": "../x", "linkdirfd": int64(5), "linkpath": "l"}), "app")
	h.expect(map[string]any{
		"evt.arg.target": "../x", "fs.path.source": "../x", "fs.path.sourceraw": "../x", "evt.arg.linkpath": "/srv/data/l",
		"fs.path.target": "/srv/data/l", "fs.path.targetraw": "l", "evt.abspath": "/srv/data/l", "evt.abspath[linkpath]": "/srv/data/l",
	})
	h.apply(mk(t, event.TypeUnlinkat, 50, 1, 0, map[string]any{"dirfd": int64(5), "name": "a.log"}), "app")
	h.expect(map[string]any{"fs.path.name": "/srv/data/a.log", "evt.arg.name": "/srv/data/a.log", "evt.rawarg.name": "a.log"})

	// Types fs.path does not apply to have no value.
	h.apply(mk(t, event.TypeChdir, 50, 1, 0, map[string]any{"path": "data"}), "app")
	h.expect(map[string]any{"fs.path.name": "<NA>", "proc.cwd": "/srv/data/", "thread.vtid": int64(50),
		"evt.arg.path": "/srv/data", "evt.rawarg.path": "data"})
	h.apply(mk(t, event.TypeClose, 50, 1, 0, map[string]any{"fd": int64(6)}), "app")
	h.expect(map[string]any{"fs.path.name": "<NA>", "fd.name": "/srv/data/a.log", "evt.arg.fd": "6", "evt.abspath": "<NA>"})
}
