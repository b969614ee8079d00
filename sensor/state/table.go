package state

import (
	"bytes"
	"log/slog"
	"path"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sakersec/saker/sensor/event"
)

// DefaultCapacity bounds the process table when Options.Capacity is 0.
const DefaultCapacity = 65536

// Options configure a Table.
type Options struct {
	// Capacity bounds the number of processes kept (0: DefaultCapacity).
	Capacity int
	// ProcRoot is the /proc to scan and read (default "/proc").
	ProcRoot string
	// HostRoot is where the host's /etc lives for user and group names
	// (default: /proc/1/root when readable, else /).
	HostRoot string
	// Containers resolves container metadata; nil disables it.
	Containers *Containers
	// Offline never reads /proc: for replays of recordings, whose
	// processes are not this machine's.
	Offline bool
	Logger  *slog.Logger
}

// Table is the process and fd state. It is not safe for concurrent use:
// one goroutine updates it and extracts fields from it.
type Table struct {
	o      Options
	procs  map[int64]*Process
	clock  uint64
	intern map[string]string
	Users  *Users
	// ctrUsers are the users and groups of each container's own
	// /etc/passwd and /etc/group, read through a member's /proc/PID/root.
	ctrUsers map[string]ctrUsers
	// pendingClose is applied at the next update: Falco evaluates a close
	// event with the fd it closes still known.
	pendingClose struct {
		proc *Process
		fd   int64
	}
	// last is the process of the previous event: consecutive events
	// mostly come from one process, so most lookups skip the map. Every
	// change of procs other than an addition under a new pid clears it.
	last    *Process
	pathBuf []byte
	freeFDs []*FD
	// exited is a ring of exited pids: an exited process stays while
	// exitedKeep newer ones have exited (children and late events may
	// still name it), then it is removed.
	exited    []int64
	exitedPos int
	mu        sync.Mutex // guards nothing on the event path; serialises Scan
	// size mirrors len(procs) for readers on other goroutines (metrics).
	size atomic.Int64
	// Stats
	evictions uint64
	misses    uint64
}

// New returns an empty table. Call Scan to fill it from /proc.
func New(o Options) *Table {
	if o.Capacity <= 0 {
		o.Capacity = DefaultCapacity
	}
	if o.ProcRoot == "" {
		o.ProcRoot = "/proc"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HostRoot == "" {
		o.HostRoot = "/"
		if _, err := readFileLimit(path.Join(o.ProcRoot, "1/root/etc/passwd"), 1); err == nil {
			o.HostRoot = path.Join(o.ProcRoot, "1/root")
		}
	}
	return &Table{
		o:      o,
		procs:  make(map[int64]*Process, 1024),
		intern: make(map[string]string, 1024),
		Users:  NewUsers(o.HostRoot),
	}
}

// UsersOf returns the user database p's names come from: its container's
// own /etc/passwd and /etc/group (as Falco reads them), the host's for
// host processes or when the container's files cannot be read. The answer
// is remembered per process until its next exec and per container root, so
// a lookup costs a stat once per executed process.
func (t *Table) UsersOf(p *Process) *Users {
	if p == nil || p.ContainerID == "" || t.o.Offline {
		return t.Users
	}
	if p.users != nil {
		return p.users
	}
	root := path.Join(t.o.ProcRoot, itoa(p.PID), "root")
	id, ok := fileID(root)
	if !ok {
		// Gone before its event was evaluated (a short-lived command):
		// its container's database, if one was seen, still names its
		// users. Answer without remembering.
		if c, ok := t.ctrUsers[p.ContainerID]; ok {
			return c.users
		}
		return t.Users
	}
	if c, ok := t.ctrUsers[p.ContainerID]; ok && c.root == id {
		p.users = c.users
		return c.users
	}
	// The runtime's own processes (runc init) are in the container's
	// cgroup before they switch to its root: they get the host's names.
	u := t.Users
	if hostID, ok := fileID(path.Join(t.o.ProcRoot, "1/root")); !ok || hostID != id {
		if _, err := readFileLimit(path.Join(root, "etc/passwd"), 1); err == nil {
			u = NewUsers(root)
		}
	}
	if t.ctrUsers == nil || len(t.ctrUsers) > 1024 {
		t.ctrUsers = map[string]ctrUsers{}
	}
	t.ctrUsers[p.ContainerID] = ctrUsers{root: id, users: u}
	p.users = u
	return u
}

type ctrUsers struct {
	root  [2]uint64
	users *Users
}

// Len returns the number of processes in the table. Unlike the other
// methods it is safe to call from any goroutine.
func (t *Table) Len() int { return int(t.size.Load()) }

// Evictions returns how many processes were evicted to stay in capacity.
func (t *Table) Evictions() uint64 { return t.evictions }

// Containers returns the container resolver (may be nil).
func (t *Table) Containers() *Containers { return t.o.Containers }

// Get returns the process with this pid, or nil.
func (t *Table) Get(pid int64) *Process { return t.procs[pid] }

// Parent returns p's parent, or nil.
func (t *Table) Parent(p *Process) *Process {
	if p == nil || p.PPID <= 0 || p.PPID == p.PID {
		return nil
	}
	return t.procs[p.PPID]
}

// Ancestor returns p's nth ancestor (1 is the parent), or nil.
func (t *Table) Ancestor(p *Process, n int) *Process {
	for i := 0; i < n && p != nil; i++ {
		p = t.Parent(p)
	}
	return p
}

// internBytes returns a string equal to b, shared with earlier equal
// strings so repeated names cost one allocation.
func (t *Table) internBytes(b []byte) string {
	if s, ok := t.intern[string(b)]; ok { // no allocation: map lookup with string(b)
		return s
	}
	s := string(b)
	if len(t.intern) > 1<<16 {
		clear(t.intern)
	}
	t.intern[s] = s
	return s
}

func (t *Table) put(p *Process) {
	if _, ok := t.procs[p.PID]; !ok && len(t.procs) >= t.o.Capacity {
		t.evict()
	}
	t.clock++
	p.lastSeen = t.clock
	t.procs[p.PID] = p
	t.last = nil
	t.size.Store(int64(len(t.procs)))
}

// evict drops about 1/16 of the table: exited processes first, then the
// least recently seen.
func (t *Table) evict() {
	want := max(len(t.procs)/16, 1)
	n := 0
	t.last = nil
	for pid, p := range t.procs {
		if p.Exited {
			delete(t.procs, pid)
			n++
			if n >= want {
				break
			}
		}
	}
	for n < want && len(t.procs) > 0 {
		var oldest *Process
		for _, p := range t.procs {
			if oldest == nil || p.lastSeen < oldest.lastSeen {
				oldest = p
			}
		}
		delete(t.procs, oldest.PID)
		n++
	}
	t.evictions += uint64(n)
	t.size.Store(int64(len(t.procs)))
}

// Process returns the process of ev, creating it from /proc (or from the
// event header when /proc no longer has it) when the table does not know it.
func (t *Table) Process(ev *event.Event) *Process {
	if p := t.last; p != nil && p.PID == ev.PID {
		t.clock++
		p.lastSeen = t.clock
		return p
	}
	p := t.procs[ev.PID]
	if p == nil {
		t.misses++
		if !t.o.Offline {
			p = t.readProc(ev.PID)
		}
		if p == nil {
			p = &Process{PID: ev.PID, PPID: ev.PPID, LoginUID: -1, Comm: t.internBytes(ev.CommBytes()), StartTS: ev.TS, minimal: true}
		}
		t.put(p)
	}
	t.clock++
	p.lastSeen = t.clock
	t.last = p
	return p
}

// Update applies ev to the state. Call it for every event before the rules
// see the event: exec, clone and open take effect for the event itself, as
// in Falco; a close takes effect at the next Update.
func (t *Table) Update(ev *event.Event) *Process {
	if p := t.pendingClose.proc; p != nil {
		f := p.FDs.Get(t.pendingClose.fd)
		p.FDs.Delete(t.pendingClose.fd)
		t.releaseFD(f)
		t.pendingClose.proc = nil
	}
	p := t.Process(ev)
	if ev.Type != event.TypeProcExit && ev.Type != event.TypeUnknown {
		p.UID, p.GID = ev.UID, ev.GID
	}
	if ev.PPID > 0 && ev.Type != event.TypeProcExit {
		// The header has the current real parent: it follows reparenting.
		p.PPID = ev.PPID
	}
	ok := !ev.Failed()
	switch ev.Type {
	case event.TypeExecve, event.TypeExecveat:
		if ok {
			t.exec(p, ev)
		}
	case event.TypeClone, event.TypeClone3, event.TypeFork, event.TypeVfork:
		if ok {
			p = t.clone(p, ev)
		}
	case event.TypeProcExit:
		if ev.TID == ev.PID && !p.Exited {
			p.Exited = true
			t.retire(p.PID)
		}
	case event.TypeOpen, event.TypeOpenat, event.TypeOpenat2, event.TypeCreat:
		if ok {
			t.open(p, ev)
		}
	case event.TypeSetsid:
		if ok { // the caller leads a new session and process group
			p.SID, p.PGID = ev.Res, ev.Res
		}
	case event.TypeSetpgid:
		if ok {
			t.setpgid(p, ev)
		}
	case event.TypeMemfdCreate:
		if ok {
			name, _ := ev.BytesOf(event.KeyName)
			p.FDs.Set(&FD{Num: ev.Res, Type: FDMemfd, Name: "memfd:" + string(name)})
		}
	case event.TypeClose:
		if ok {
			fd, _ := ev.IntOf(event.KeyFD)
			t.pendingClose.proc, t.pendingClose.fd = p, fd
		}
	case event.TypeDup, event.TypeDup2, event.TypeDup3:
		if ok {
			old, _ := ev.IntOf(event.KeyOldfd)
			if f := p.FDs.Get(old); f != nil && ev.Res != old {
				t.dupFD(p, f, ev.Res)
			}
		}
	case event.TypeFcntl:
		if ok {
			cmd, _ := ev.IntOf(event.KeyCmd)
			if cmd == 0 || cmd == 1030 { // F_DUPFD, F_DUPFD_CLOEXEC
				fdn, _ := ev.IntOf(event.KeyFD)
				if f := p.FDs.Get(fdn); f != nil {
					t.dupFD(p, f, ev.Res)
				}
			}
		}
	case event.TypeSocket:
		if ok {
			t.socket(p, ev)
		}
	case event.TypeSocketpair:
		if ok {
			for _, k := range [...]*event.ArgKey{event.KeyFD1, event.KeyFD2} {
				if fdn, ok := ev.IntOf(k); ok {
					p.FDs.Set(&FD{Num: fdn, Type: FDUnix})
				}
			}
		}
	case event.TypeConnect:
		// EINPROGRESS still sets the tuple, as in Falco.
		if ok || ev.Res == -115 {
			t.connect(p, ev)
		}
	case event.TypeAccept, event.TypeAccept4:
		if ok {
			t.accept(p, ev)
		}
	case event.TypeBind:
		if ok {
			t.bind(p, ev)
		}
	case event.TypePipe, event.TypePipe2:
		if ok {
			ino, _ := ev.IntOf(event.KeyIno)
			name := "pipe:[" + itoa(ino) + "]"
			for _, k := range [...]*event.ArgKey{event.KeyFD1, event.KeyFD2} {
				if fdn, ok := ev.IntOf(k); ok {
					p.FDs.Set(&FD{Num: fdn, Type: FDPipe, Name: name, Ino: uint64(ino)})
				}
			}
		}
	case event.TypeChdir:
		if ok {
			if b, ok := ev.BytesOf(event.KeyPath); ok {
				p.Cwd = t.resolve(p.Cwd, b)
			}
		}
	case event.TypeFchdir:
		if ok {
			fdn, _ := ev.IntOf(event.KeyFD)
			if f := p.FDs.Get(fdn); f != nil && f.Name != "" {
				p.Cwd = f.Name
			}
		}
	}
	return p
}

func itoa(v int64) string {
	var b [20]byte
	i := len(b)
	neg := v < 0
	if neg {
		v = -v
	}
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

func (t *Table) exec(p *Process, ev *event.Event) {
	p.cache = strCache{}
	p.minimal = false
	p.Comm = t.internBytes(ev.CommBytes())
	if b, ok := ev.BytesOf(event.KeyExe); ok {
		p.Exe = t.internBytes(b)
	}
	if a, ok := ev.ArgOf(event.KeyArgs); ok {
		p.Args = listStrings(p.Args[:0:0], a)
	}
	if a, ok := ev.ArgOf(event.KeyEnv); ok {
		p.Env = listStrings(p.Env[:0:0], a)
	}
	if b, ok := ev.BytesOf(event.KeyCwd); ok && len(b) > 0 {
		p.Cwd = t.internBytes(b)
	}
	if b, ok := ev.BytesOf(event.KeyTrustedExepath); ok && len(b) > 0 {
		p.ExePath = t.internBytes(b)
	} else if b, ok := ev.BytesOf(event.KeyFilename); ok {
		p.ExePath = t.resolve(p.Cwd, b)
	} else if b, ok := ev.BytesOf(event.KeyPathname); ok {
		p.ExePath = t.resolve(p.Cwd, b)
	}
	if v, ok := ev.IntOf(event.KeyTTY); ok {
		p.TTY = uint64(v)
	}
	if a, ok := ev.ArgOf(event.KeyLoginUID); ok {
		p.LoginUID = loginUID(a.Uint())
	}
	if a, ok := ev.ArgOf(event.KeyFlags); ok {
		p.ExeFlags = a.Uint()
	}
	if a, ok := ev.ArgOf(event.KeyCapEffective); ok {
		p.CapEffective = a.Uint()
	}
	if a, ok := ev.ArgOf(event.KeyCapPermitted); ok {
		p.CapPermitted = a.Uint()
	}
	if a, ok := ev.ArgOf(event.KeyCapInheritable); ok {
		p.CapInherit = a.Uint()
	}
	if a, ok := ev.ArgOf(event.KeyExeIno); ok {
		p.ExeIno = a.Uint()
	}
	if v, ok := ev.IntOf(event.KeyExeInoCtime); ok {
		p.ExeCtime = v
	}
	if v, ok := ev.IntOf(event.KeyExeInoMtime); ok {
		p.ExeMtime = v
	}
	t.setCgroups(p, ev)
	p.users = nil
	if p.ContainerID != "" && !t.o.Offline {
		// Bind the user database while the process most likely still
		// runs: a command that exits at once could not be looked up later.
		t.UsersOf(p)
	}
	p.FromScan = false
	// Close-on-exec descriptors disappear with the old image.
	var cloexec []int64
	p.FDs.Each(func(f *FD) {
		if f.Flags&event.OpenCloexec != 0 {
			cloexec = append(cloexec, f.Num)
		}
	})
	for _, n := range cloexec {
		f := p.FDs.Get(n)
		p.FDs.Delete(n)
		t.releaseFD(f)
	}
}

func (t *Table) setCgroups(p *Process, ev *event.Event) {
	a, ok := ev.ArgOf(event.KeyCgroups)
	if !ok {
		return
	}
	it := a.List()
	for item, ok := it.Next(); ok; item, ok = it.Next() {
		if _, path, ok := bytes.Cut(item, []byte{'='}); ok {
			if id, rt := ContainerIDFromCgroup(path); id != "" {
				if len(id) < 64 && !t.o.Offline {
					// The event carried a cut path; /proc has it whole.
					if full := t.cgroupIDFromProc(ev.PID); full != "" {
						id = full
					}
				}
				p.ContainerID = t.internBytes([]byte(id))
				if c := t.o.Containers; c != nil {
					c.ObserveRuntime(p.ContainerID, rt) // ask that runtime first
				}
				return
			}
		}
	}
	p.ContainerID = ""
}

func loginUID(v uint64) int64 {
	if v == 0xffffffff || v == 1<<64-1 {
		return -1
	}
	return int64(v)
}

func listStrings(dst []string, a event.Arg) []string {
	it := a.List()
	for item, ok := it.Next(); ok; item, ok = it.Next() {
		dst = append(dst, string(item))
	}
	return dst
}

// clone handles both sides of a fork: the parent sees the child's pid as
// the result, the child sees 0.
func (t *Table) clone(p *Process, ev *event.Event) *Process {
	flags, _ := ev.ArgOf(event.KeyFlags)
	if flags.Uint()&0x10000 != 0 { // CLONE_THREAD: same process
		return p
	}
	if ev.Res > 0 {
		if _, known := t.procs[ev.Res]; !known {
			c := p.cloneFor(ev.Res)
			c.StartTS = ev.TS
			t.put(c)
		}
		return p
	}
	// Child side: ev.PID is the child. If the parent's side came first the
	// child exists; otherwise build it from the parent or the event.
	if p.minimal {
		if parent := t.procs[ev.PPID]; parent != nil && parent != p {
			c := parent.cloneFor(ev.PID)
			c.StartTS = ev.TS
			t.put(c)
			p = c
		}
	}
	if b, ok := ev.BytesOf(event.KeyExe); ok && p.Exe == "" {
		p.Exe = t.internBytes(b)
	}
	if a, ok := ev.ArgOf(event.KeyArgs); ok && p.Args == nil {
		p.Args = listStrings(nil, a)
		p.cache = strCache{}
	}
	if b, ok := ev.BytesOf(event.KeyCwd); ok && len(b) > 0 && p.Cwd == "" {
		p.Cwd = t.internBytes(b)
	}
	if v, ok := ev.IntOf(event.KeyVpid); ok {
		p.VPID = v
	}
	if p.ContainerID == "" {
		t.setCgroups(p, ev)
	}
	return p
}

// dirOf returns the directory a relative path of ev is resolved against:
// the path of the dirfd argument dir, or the cwd for AT_FDCWD (-100) or
// a nil dir.
func dirOf(p *Process, ev *event.Event, dir *event.ArgKey) string {
	if dir != nil {
		if d, ok := ev.IntOf(dir); ok && d != -100 {
			if f := p.FDs.Get(d); f != nil {
				return f.Name
			}
			return ""
		}
	}
	return p.Cwd
}

// ResolvePath returns the absolute, cleaned form of raw relative to the
// directory of the dirfd argument dir (nil for the cwd).
func (t *Table) ResolvePath(p *Process, ev *event.Event, dir *event.ArgKey, raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	if isClean(raw) {
		return t.internBytes(raw)
	}
	if raw[0] == '/' {
		return t.resolve("", raw)
	}
	if ev.Type == event.TypeChdir && !ev.Failed() && p != nil && p.Cwd != "" {
		// Update already moved the cwd to this path, resolved against
		// the cwd before the call; resolving again would apply it twice.
		return strings.TrimSuffix(p.Cwd, "/")
	}
	return t.resolve(dirOf(p, ev, dir), raw)
}

// resolve joins dir and raw (unless raw is absolute) and cleans the result
// as libsinsp does: "..", "." and duplicate slashes are removed. The
// result is interned, so a path seen before costs no allocation.
func (t *Table) resolve(dir string, raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	t.pathBuf = appendClean(t.pathBuf[:0], dir, raw)
	return t.internBytes(t.pathBuf)
}

// exitedKeep is how many exited processes the table remembers.
const exitedKeep = 4096

// retire records that pid exited and removes the process that exited
// exitedKeep exits ago, if it is still gone.
func (t *Table) retire(pid int64) {
	if len(t.exited) < exitedKeep {
		t.exited = append(t.exited, pid)
		return
	}
	old := t.exited[t.exitedPos]
	t.exited[t.exitedPos] = pid
	t.exitedPos = (t.exitedPos + 1) % exitedKeep
	if p := t.procs[old]; p != nil && p.Exited {
		t.remove(p)
	}
}

// remove deletes p and recycles its descriptors.
func (t *Table) remove(p *Process) {
	delete(t.procs, p.PID)
	t.last = nil
	p.FDs.Each(t.releaseFD)
	t.size.Store(int64(len(t.procs)))
}

// newFD returns a cleared descriptor, reusing closed ones.
func (t *Table) newFD() *FD {
	if n := len(t.freeFDs); n > 0 {
		f := t.freeFDs[n-1]
		t.freeFDs = t.freeFDs[:n-1]
		*f = FD{}
		return f
	}
	return &FD{}
}

// dupFD sets a copy of f as p's descriptor n (dup, fcntl F_DUPFD).
func (t *Table) dupFD(p *Process, f *FD, n int64) {
	c := t.newFD()
	*c = *f
	c.Num = n
	p.FDs.Set(c)
}

// releaseFD recycles a descriptor removed from its (only) table.
func (t *Table) releaseFD(f *FD) {
	if f != nil && len(t.freeFDs) < 4096 {
		t.freeFDs = append(t.freeFDs, f)
	}
}

func (t *Table) open(p *Process, ev *event.Event) {
	fd := t.newFD()
	t.openNames(fd, p, ev)
	fd.Num, fd.Type = ev.Res, FDFile
	if fd.Flags&event.OpenDirectory != 0 {
		fd.Type = FDDirectory
	}
	if v, ok := ev.UintOf(event.KeyDev); ok {
		fd.Dev = v
	}
	if v, ok := ev.UintOf(event.KeyIno); ok {
		fd.Ino = v
	}
	p.FDs.Set(fd)
}

// openNames sets the flags, the raw and the resolved name of the file an
// open event names. An absolute path that is already clean (the usual
// case) is interned once for both names.
func (t *Table) openNames(fd *FD, p *Process, ev *event.Event) {
	raw, _ := ev.BytesOf(event.KeyName)
	fd.Flags, _ = ev.OpenFlags()
	fd.NameRaw = t.internBytes(raw)
	if len(raw) == 0 {
		fd.Name = ""
		return
	}
	if isClean(raw) {
		fd.Name = fd.NameRaw
		return
	}
	dir := ""
	if raw[0] != '/' {
		dir = dirOf(p, ev, event.KeyDirfd)
	}
	t.pathBuf = appendClean(t.pathBuf[:0], dir, raw)
	fd.Name = t.internBytes(t.pathBuf)
}

// FailedOpenFD fills dst with the descriptor a failed open would have
// had (number -1): libsinsp gives failed opens an fd.name too. The names
// are interned, so this does not allocate for a path seen before.
func (t *Table) FailedOpenFD(dst *FD, p *Process, ev *event.Event) {
	*dst = FD{Num: -1, Type: FDFile}
	t.openNames(dst, p, ev)
}

func (t *Table) socket(p *Process, ev *event.Event) {
	dom, _ := ev.IntOf(event.KeyDomain)
	typ, _ := ev.IntOf(event.KeyType)
	proto, _ := ev.IntOf(event.KeyProto)
	fd := t.newFD()
	fd.Num = ev.Res
	switch dom {
	case 2:
		fd.Type = FDIPv4
	case 10:
		fd.Type = FDIPv6
	case 1:
		fd.Type = FDUnix
	case 16:
		fd.Type = FDNetlink
	default:
		fd.Type = FDUnknown
	}
	switch {
	case typ&0xf == 1:
		fd.L4 = L4TCP
	case typ&0xf == 2:
		fd.L4 = L4UDP
		if proto == 1 || proto == 58 {
			fd.L4 = L4ICMP
		}
	case typ&0xf == 3:
		fd.L4 = L4Raw
		if proto == 1 || proto == 58 {
			fd.L4 = L4ICMP
		}
	}
	p.FDs.Set(fd)
}

func (t *Table) sockFD(p *Process, n int64, family uint8) *FD {
	f := p.FDs.Get(n)
	if f == nil {
		f = &FD{Num: n, L4: L4TCP}
		p.FDs.Set(f)
	}
	switch family {
	case event.FamilyInet:
		f.Type = FDIPv4
	case event.FamilyInet6:
		f.Type = FDIPv6
	case event.FamilyUnix:
		f.Type = FDUnix
	}
	return f
}

func (t *Table) connect(p *Process, ev *event.Event) {
	fdn, ok := ev.IntOf(event.KeyFD)
	if !ok {
		return
	}
	a, _ := ev.ArgOf(event.KeyTuple)
	tu, ok := a.Tuple()
	if !ok {
		// No tuple (failed early): use the address the caller passed.
		sa, _ := ev.ArgOf(event.KeyAddr)
		s, ok := sa.SockAddr()
		if !ok {
			return
		}
		tu = event.Tuple{Family: s.Family, DstAddr: s.Addr, DstPort: s.Port, Path: s.Path}
	}
	f := t.sockFD(p, fdn, tu.Family)
	if tu.Family == event.FamilyUnix {
		f.Name = string(tu.Path)
	} else {
		f.setTuple(tu.SrcAddr, tu.SrcPort, tu.DstAddr, tu.DstPort)
	}
	f.Connected, f.IsServer = true, false
	f.nameChangedAt = ev.Num
}

func (t *Table) accept(p *Process, ev *event.Event) {
	a, _ := ev.ArgOf(event.KeyTuple)
	tu, ok := a.Tuple()
	f := &FD{Num: ev.Res, L4: L4TCP, Connected: true, IsServer: true, nameChangedAt: ev.Num}
	if lst, ok := ev.IntOf(event.KeyFDListen); ok {
		if l := p.FDs.Get(lst); l != nil && l.L4 != L4Unknown {
			f.L4 = l.L4
		}
	}
	if ok {
		switch tu.Family {
		case event.FamilyInet:
			f.Type = FDIPv4
		case event.FamilyInet6:
			f.Type = FDIPv6
		case event.FamilyUnix:
			f.Type = FDUnix
			f.Name = string(tu.Path)
		}
		if tu.Family != event.FamilyUnix {
			f.setTuple(tu.SrcAddr, tu.SrcPort, tu.DstAddr, tu.DstPort)
		}
	}
	p.FDs.Set(f)
}

func (t *Table) bind(p *Process, ev *event.Event) {
	fdn, ok := ev.IntOf(event.KeyFD)
	if !ok {
		return
	}
	sa, _ := ev.ArgOf(event.KeyAddr)
	s, ok := sa.SockAddr()
	if !ok {
		return
	}
	f := t.sockFD(p, fdn, s.Family)
	if s.Family == event.FamilyUnix {
		f.Name = string(s.Path)
		return
	}
	f.IsServer = true
	f.SIP, f.SPort = s.Addr, s.Port
}

// NameChanged reports fd.name_changed for f on event number num.
func (f *FD) NameChanged(num uint64) bool { return f.nameChangedAt == num && num != 0 }

// cgroupIDFromProc reads a process's container id from /proc.
func (t *Table) cgroupIDFromProc(pid int64) string {
	b, err := readFileLimit(path.Join(t.o.ProcRoot, itoa(pid), "cgroup"), 16<<10)
	if err != nil {
		return ""
	}
	for _, l := range bytes.Split(b, []byte{'\n'}) {
		parts := bytes.SplitN(l, []byte{':'}, 3)
		if len(parts) == 3 {
			if id, _ := ContainerIDFromCgroup(parts[2]); len(id) == 64 {
				return id
			}
		}
	}
	return ""
}

// setpgid moves a process (the caller for pid 0) into the process group
// pgid (its own for pgid 0).
func (t *Table) setpgid(p *Process, ev *event.Event) {
	pid, _ := ev.IntOf(event.KeyPid)
	pgid, _ := ev.IntOf(event.KeyPgid)
	target := p
	if pid != 0 && pid != p.PID {
		if target = t.procs[pid]; target == nil {
			return
		}
	}
	if pgid == 0 {
		pgid = target.PID
	}
	target.PGID = pgid
}
