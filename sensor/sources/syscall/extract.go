package syscall

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/sakersec/saker/sensor/event"
	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/state"
)

// ErrNoExtractor means a declared syscall field has no extraction in Saker
// yet; rules naming it fail to compile with the field's name.
var ErrNoExtractor = errors.New("field not extracted by the syscall source")

// Source returns the syscall source: fields.Syscall's declarations with
// this package's extraction.
func Source() *fields.Source {
	return fields.Syscall().WithExtractors(Extractors{})
}

// Extractors compiles syscall field references into extractors over
// [*Event]. The zero value is ready to use.
type Extractors struct{}

// NewExtractor implements fields.ExtractorFactory.
func (Extractors) NewExtractor(ref fields.Ref) (fields.Extractor, error) {
	if b, ok := builders[ref.Field.Name]; ok {
		return b(ref)
	}
	if f, ok := simple[ref.Field.Name]; ok {
		return extractor(f), nil
	}
	return nil, fmt.Errorf("%w: %s", ErrNoExtractor, ref)
}

// Has reports whether the field has an extractor.
func Has(name string) bool {
	_, a := builders[name]
	_, b := simple[name]
	return a || b
}

type getter func(e *Event, v *fields.Value) bool

type extractor getter

func (f extractor) Extract(evt fields.Event, v *fields.Value) bool {
	e, ok := evt.(*Event)
	if !ok || e.Ev == nil {
		return false
	}
	return f(e, v)
}

type builder func(ref fields.Ref) (fields.Extractor, error)

// Helpers over the process, its parent and the fd.
func proc(f func(p *state.Process, e *Event, v *fields.Value) bool) getter {
	return func(e *Event, v *fields.Value) bool {
		if e.Proc == nil {
			return false
		}
		return f(e.Proc, e, v)
	}
}

func parent(f func(p *state.Process, e *Event, v *fields.Value) bool) getter {
	return func(e *Event, v *fields.Value) bool {
		pp := e.State.Parent(e.Proc)
		if pp == nil {
			return false
		}
		return f(pp, e, v)
	}
}

func fdf(f func(fd *state.FD, e *Event, v *fields.Value) bool) getter {
	return func(e *Event, v *fields.Value) bool {
		fd := e.FD()
		if fd == nil {
			return false
		}
		return f(fd, e, v)
	}
}

func str(s string, v *fields.Value) bool {
	v.Str = s
	return true
}

func nonEmpty(s string, v *fields.Value) bool {
	v.Str = s
	return s != ""
}

func i64(n int64, v *fields.Value) bool {
	v.Int = n
	return true
}

func u64(n uint64, v *fields.Value) bool {
	v.Uint = n
	return true
}

func boolean(b bool, v *fields.Value) bool {
	v.Bool = b
	return true
}

func addr(a netip.Addr, v *fields.Value) bool {
	if !a.IsValid() {
		return false
	}
	v.Addr = a.Unmap()
	return true
}

// Process field getters shared by proc.*, proc.p*, proc.a*[N].
var (
	pName    = func(p *state.Process, _ *Event, v *fields.Value) bool { return nonEmpty(p.Comm, v) }
	pExe     = func(p *state.Process, _ *Event, v *fields.Value) bool { return nonEmpty(p.Exe, v) }
	pExePath = func(p *state.Process, _ *Event, v *fields.Value) bool { return nonEmpty(p.ExePath, v) }
	pCmdline = func(p *state.Process, _ *Event, v *fields.Value) bool { return nonEmpty(p.CmdlineString(), v) }
	pPID     = func(p *state.Process, _ *Event, v *fields.Value) bool { return i64(p.PID, v) }
)

func timeStr(e *Event, layout string) string {
	return time.Unix(0, e.Ev.TS).Format(layout)
}

// simple are the fields without arguments.
var simple = map[string]getter{
	"evt.num":    func(e *Event, v *fields.Value) bool { return u64(e.Ev.Num, v) },
	"evt.time":   func(e *Event, v *fields.Value) bool { return str(timeStr(e, "15:04:05.000000000"), v) },
	"evt.time.s": func(e *Event, v *fields.Value) bool { return str(timeStr(e, "15:04:05"), v) },
	"evt.time.iso8601": func(e *Event, v *fields.Value) bool {
		return str(time.Unix(0, e.Ev.TS).UTC().Format("2006-01-02T15:04:05.000000000Z"), v)
	},
	"evt.datetime":   func(e *Event, v *fields.Value) bool { return str(timeStr(e, "2006-01-02 15:04:05.000000000"), v) },
	"evt.datetime.s": func(e *Event, v *fields.Value) bool { return str(timeStr(e, "2006-01-02 15:04:05"), v) },
	"evt.rawtime":    func(e *Event, v *fields.Value) bool { return u64(uint64(e.Ev.TS), v) },
	"evt.rawtime.s":  func(e *Event, v *fields.Value) bool { return u64(uint64(e.Ev.TS)/1e9, v) },
	"evt.rawtime.ns": func(e *Event, v *fields.Value) bool { return u64(uint64(e.Ev.TS)%1e9, v) },
	"evt.reltime":    func(e *Event, v *fields.Value) bool { return i64(e.Ev.TS-e.StartTS, v) },
	"evt.dir":        func(e *Event, v *fields.Value) bool { return str("<", v) },
	"evt.type":       func(e *Event, v *fields.Value) bool { return str(e.Ev.Type.String(), v) },
	"syscall.type": func(e *Event, v *fields.Value) bool {
		if e.Ev.Syscall < 0 {
			return false
		}
		return str(e.Ev.Type.String(), v)
	},
	"evt.category": func(e *Event, v *fields.Value) bool { return str(category(e.Ev.Type), v) },
	"evt.cpu":      func(e *Event, v *fields.Value) bool { return u64(uint64(e.Ev.CPU), v) },
	"evt.args": func(e *Event, v *fields.Value) bool {
		return str(string(e.Ev.AppendArgs(nil)), v)
	},
	"evt.info": func(e *Event, v *fields.Value) bool {
		return str(string(e.Ev.AppendArgs(nil)), v)
	},
	"evt.res": func(e *Event, v *fields.Value) bool {
		if e.Ev.Type == event.TypeProcExit {
			return false
		}
		if e.Ev.Res >= 0 {
			return str("SUCCESS", v)
		}
		return str(errnoName(-e.Ev.Res), v)
	},
	"evt.rawres": func(e *Event, v *fields.Value) bool {
		if e.Ev.Type == event.TypeProcExit {
			return false
		}
		return i64(e.Ev.Res, v)
	},
	"evt.failed":        func(e *Event, v *fields.Value) bool { return boolean(e.Ev.Failed(), v) },
	"evt.is_io":         func(e *Event, v *fields.Value) bool { return boolean(isIO(e.Ev.Type) != 0, v) },
	"evt.is_io_read":    func(e *Event, v *fields.Value) bool { return boolean(isIO(e.Ev.Type) == 'r', v) },
	"evt.is_io_write":   func(e *Event, v *fields.Value) bool { return boolean(isIO(e.Ev.Type) == 'w', v) },
	"evt.is_wait":       func(e *Event, v *fields.Value) bool { return boolean(false, v) },
	"evt.is_syslog":     func(e *Event, v *fields.Value) bool { return boolean(false, v) },
	"evt.count":         func(e *Event, v *fields.Value) bool { return u64(1, v) },
	"evt.count.error":   func(e *Event, v *fields.Value) bool { return u64(b2u(e.Ev.Failed()), v) },
	"evt.count.exit":    func(e *Event, v *fields.Value) bool { return u64(1, v) },
	"evt.is_open_read":  func(e *Event, v *fields.Value) bool { return boolean(e.Ev.IsOpenRead(), v) },
	"evt.is_open_write": func(e *Event, v *fields.Value) bool { return boolean(e.Ev.IsOpenWrite(), v) },
	"evt.is_open_exec": func(e *Event, v *fields.Value) bool {
		f, ok := e.Ev.OpenFlags()
		m, _ := e.Ev.IntOf(event.KeyMode)
		return boolean(ok && f&event.OpenCreat != 0 && m&0o111 != 0, v)
	},
	"evt.is_open_create": func(e *Event, v *fields.Value) bool {
		f, ok := e.Ev.OpenFlags()
		return boolean(ok && f&event.OpenCreated != 0, v)
	},
	"evt.hostname": func(e *Event, v *fields.Value) bool { return nonEmpty(e.Hostname, v) },
	"evt.source":   func(e *Event, v *fields.Value) bool { return str(fields.SyscallSourceName, v) },

	"proc.pid":     proc(pPID),
	"proc.exe":     proc(pExe),
	"proc.name":    proc(pName),
	"proc.args":    proc(func(p *state.Process, _ *Event, v *fields.Value) bool { return str(p.ArgsString(), v) }),
	"proc.cmdline": proc(pCmdline),
	"proc.cmdnargs": proc(func(p *state.Process, _ *Event, v *fields.Value) bool {
		return u64(uint64(len(p.Args)), v)
	}),
	"proc.cmdlenargs": proc(func(p *state.Process, _ *Event, v *fields.Value) bool {
		n := 0
		for _, a := range p.Args {
			n += len(a)
		}
		if len(p.Args) > 1 {
			n += len(p.Args) - 1
		}
		return u64(uint64(n), v)
	}),
	"proc.exeline": proc(func(p *state.Process, _ *Event, v *fields.Value) bool {
		if len(p.Args) == 0 {
			return nonEmpty(p.Exe, v)
		}
		return str(p.Exe+" "+p.ArgsString(), v)
	}),
	"proc.cwd": proc(func(p *state.Process, _ *Event, v *fields.Value) bool {
		if p.Cwd == "" {
			return false
		}
		if strings.HasSuffix(p.Cwd, "/") {
			return str(p.Cwd, v)
		}
		// libsinsp keeps the cwd with a trailing slash.
		return str(p.Cwd+"/", v)
	}),
	"proc.ppid":     proc(func(p *state.Process, _ *Event, v *fields.Value) bool { return i64(p.PPID, v) }),
	"proc.pname":    parent(pName),
	"proc.pcmdline": parent(pCmdline),
	"proc.pexe":     parent(pExe),
	"proc.pexepath": parent(pExePath),
	"proc.loginshellid": func(e *Event, v *fields.Value) bool {
		var found int64 = -1
		for p, i := e.Proc, 0; p != nil && i < 64; p, i = e.State.Parent(p), i+1 {
			if isShell(p.Comm) {
				found = p.PID
			}
		}
		if found < 0 {
			return false
		}
		return i64(found, v)
	},
	"proc.duration": proc(func(p *state.Process, e *Event, v *fields.Value) bool {
		if p.StartTS == 0 {
			return false
		}
		return i64(e.Ev.TS-p.StartTS, v)
	}),
	"proc.ppid.duration": parent(func(p *state.Process, e *Event, v *fields.Value) bool {
		if p.StartTS == 0 {
			return false
		}
		return i64(e.Ev.TS-p.StartTS, v)
	}),
	"proc.pid.ts":  proc(func(p *state.Process, _ *Event, v *fields.Value) bool { return u64(uint64(p.StartTS), v) }),
	"proc.ppid.ts": parent(func(p *state.Process, _ *Event, v *fields.Value) bool { return u64(uint64(p.StartTS), v) }),
	"proc.fdopencount": proc(func(p *state.Process, _ *Event, v *fields.Value) bool {
		return u64(uint64(p.FDs.Len()), v)
	}),
	"proc.is_exe_writable": proc(func(p *state.Process, _ *Event, v *fields.Value) bool {
		return boolean(p.ExeFlags&event.ExeWritable != 0, v)
	}),
	"proc.is_exe_upper_layer": proc(func(p *state.Process, _ *Event, v *fields.Value) bool {
		return boolean(p.ExeFlags&event.ExeUpperLayer != 0, v)
	}),
	"proc.is_exe_from_memfd": proc(func(p *state.Process, _ *Event, v *fields.Value) bool {
		return boolean(p.ExeFlags&event.ExeFromMemfd != 0 || strings.HasPrefix(p.ExePath, "/memfd:"), v)
	}),
	"proc.is_container_healthcheck":     func(e *Event, v *fields.Value) bool { return boolean(false, v) },
	"proc.is_container_liveness_probe":  func(e *Event, v *fields.Value) bool { return boolean(false, v) },
	"proc.is_container_readiness_probe": func(e *Event, v *fields.Value) bool { return boolean(false, v) },
	"proc.is_sid_leader":                proc(func(p *state.Process, _ *Event, v *fields.Value) bool { return boolean(p.SID == p.PID, v) }),
	"proc.is_vpgid_leader":              proc(func(p *state.Process, _ *Event, v *fields.Value) bool { return boolean(p.PGID == p.PID, v) }),
	"proc.exe_ino": proc(func(p *state.Process, _ *Event, v *fields.Value) bool {
		return p.ExeIno != 0 && i64(int64(p.ExeIno), v)
	}),
	"proc.exe_ino.ctime": proc(func(p *state.Process, _ *Event, v *fields.Value) bool {
		return p.ExeCtime != 0 && u64(uint64(p.ExeCtime), v)
	}),
	"proc.exe_ino.mtime": proc(func(p *state.Process, _ *Event, v *fields.Value) bool {
		return p.ExeMtime != 0 && u64(uint64(p.ExeMtime), v)
	}),
	"proc.exe_ino.ctime_duration_proc_start": proc(func(p *state.Process, _ *Event, v *fields.Value) bool {
		if p.ExeCtime == 0 || p.StartTS == 0 {
			return false
		}
		return i64(p.StartTS-p.ExeCtime, v)
	}),
	"proc.tty": proc(func(p *state.Process, _ *Event, v *fields.Value) bool { return u64(p.TTY, v) }),
	"proc.sid": proc(func(p *state.Process, _ *Event, v *fields.Value) bool { return i64(p.SID, v) }),
	"proc.sname": func(e *Event, v *fields.Value) bool {
		return withLeader(e, func(p *state.Process) int64 { return p.SID }, pName, v)
	},
	"proc.sid.exe": func(e *Event, v *fields.Value) bool {
		return withLeader(e, func(p *state.Process) int64 { return p.SID }, pExe, v)
	},
	"proc.sid.exepath": func(e *Event, v *fields.Value) bool {
		return withLeader(e, func(p *state.Process) int64 { return p.SID }, pExePath, v)
	},
	"proc.vpgid": proc(func(p *state.Process, _ *Event, v *fields.Value) bool { return i64(p.PGID, v) }),
	"proc.pgid":  proc(func(p *state.Process, _ *Event, v *fields.Value) bool { return i64(p.PGID, v) }),
	"proc.vpgid.name": func(e *Event, v *fields.Value) bool {
		return withLeader(e, func(p *state.Process) int64 { return p.PGID }, pName, v)
	},
	"proc.vpgid.exe": func(e *Event, v *fields.Value) bool {
		return withLeader(e, func(p *state.Process) int64 { return p.PGID }, pExe, v)
	},
	"proc.vpgid.exepath": func(e *Event, v *fields.Value) bool {
		return withLeader(e, func(p *state.Process) int64 { return p.PGID }, pExePath, v)
	},
	"proc.pgid.name": func(e *Event, v *fields.Value) bool {
		return withLeader(e, func(p *state.Process) int64 { return p.PGID }, pName, v)
	},
	"proc.pgid.exe": func(e *Event, v *fields.Value) bool {
		return withLeader(e, func(p *state.Process) int64 { return p.PGID }, pExe, v)
	},
	"proc.pgid.exepath": func(e *Event, v *fields.Value) bool {
		return withLeader(e, func(p *state.Process) int64 { return p.PGID }, pExePath, v)
	},
	"proc.vpid": proc(func(p *state.Process, _ *Event, v *fields.Value) bool {
		if p.VPID == 0 {
			return i64(p.PID, v)
		}
		return i64(p.VPID, v)
	}),
	"proc.pvpid": parent(func(p *state.Process, _ *Event, v *fields.Value) bool {
		if p.VPID == 0 {
			return i64(p.PID, v)
		}
		return i64(p.VPID, v)
	}),
	"proc.exepath":     proc(pExePath),
	"proc.stdin.type":  stdFD(0, false),
	"proc.stdout.type": stdFD(1, false),
	"proc.stderr.type": stdFD(2, false),
	"proc.stdin.name":  stdFD(0, true),
	"proc.stdout.name": stdFD(1, true),
	"proc.stderr.name": stdFD(2, true),

	"thread.tid":    func(e *Event, v *fields.Value) bool { return i64(e.Ev.TID, v) },
	"thread.ismain": func(e *Event, v *fields.Value) bool { return boolean(e.Ev.TID == e.Ev.PID, v) },
	"thread.vtid": func(e *Event, v *fields.Value) bool {
		if vt, ok := e.Ev.IntOf(event.KeyVtid); ok {
			return i64(vt, v)
		}
		return i64(e.Ev.TID, v)
	},
	"thread.nametid": proc(func(p *state.Process, e *Event, v *fields.Value) bool {
		return str(p.Comm+strconv.FormatInt(e.Ev.TID, 10), v)
	}),
	"thread.cap_effective": proc(func(p *state.Process, _ *Event, v *fields.Value) bool {
		return str(string(appendCaps(nil, p.CapEffective)), v)
	}),
	"thread.cap_permitted": proc(func(p *state.Process, _ *Event, v *fields.Value) bool {
		return str(string(appendCaps(nil, p.CapPermitted)), v)
	}),
	"thread.cap_inheritable": proc(func(p *state.Process, _ *Event, v *fields.Value) bool {
		return str(string(appendCaps(nil, p.CapInherit)), v)
	}),

	"user.uid": proc(func(p *state.Process, _ *Event, v *fields.Value) bool { return u64(uint64(p.UID), v) }),
	"user.name": proc(func(p *state.Process, e *Event, v *fields.Value) bool {
		if u, ok := e.State.UsersOf(p).User(p.UID); ok {
			return str(u.Name, v)
		}
		return false
	}),
	"user.homedir": proc(func(p *state.Process, e *Event, v *fields.Value) bool {
		u, ok := e.State.UsersOf(p).User(p.UID)
		return ok && str(u.Home, v)
	}),
	"user.shell": proc(func(p *state.Process, e *Event, v *fields.Value) bool {
		u, ok := e.State.UsersOf(p).User(p.UID)
		return ok && str(u.Shell, v)
	}),
	"user.loginuid": proc(func(p *state.Process, _ *Event, v *fields.Value) bool { return i64(p.LoginUID, v) }),
	"user.loginname": proc(func(p *state.Process, e *Event, v *fields.Value) bool {
		if p.LoginUID < 0 {
			return false
		}
		u, ok := e.State.UsersOf(p).User(uint32(p.LoginUID))
		return ok && str(u.Name, v)
	}),
	"group.gid": proc(func(p *state.Process, _ *Event, v *fields.Value) bool { return u64(uint64(p.GID), v) }),
	"group.name": proc(func(p *state.Process, e *Event, v *fields.Value) bool {
		g, ok := e.State.UsersOf(p).Group(p.GID)
		return ok && str(g, v)
	}),

	"fd.num":      fdf(func(f *state.FD, _ *Event, v *fields.Value) bool { return i64(f.Num, v) }),
	"fd.type":     fdf(func(f *state.FD, _ *Event, v *fields.Value) bool { return nonEmpty(f.Type.String(), v) }),
	"fd.typechar": fdf(func(f *state.FD, _ *Event, v *fields.Value) bool { return str(f.Type.Char(), v) }),
	"fd.name":     fdf(func(f *state.FD, _ *Event, v *fields.Value) bool { return nonEmpty(f.Name, v) }),
	"fd.nameraw": fdf(func(f *state.FD, _ *Event, v *fields.Value) bool {
		if f.NameRaw == "" {
			return nonEmpty(f.Name, v)
		}
		return str(f.NameRaw, v)
	}),
	"fd.directory": fdf(func(f *state.FD, _ *Event, v *fields.Value) bool {
		switch f.Type {
		case state.FDDirectory:
			return nonEmpty(f.Name, v)
		case state.FDFile:
			if i := strings.LastIndexByte(f.Name, '/'); i > 0 {
				return str(f.Name[:i], v)
			} else if i == 0 {
				return str("/", v)
			}
		}
		return false
	}),
	"fd.filename": fdf(func(f *state.FD, _ *Event, v *fields.Value) bool {
		if f.Type != state.FDFile {
			return false
		}
		if i := strings.LastIndexByte(f.Name, '/'); i >= 0 {
			return nonEmpty(f.Name[i+1:], v)
		}
		return nonEmpty(f.Name, v)
	}),
	"fd.ip":    ipField(func(f *state.FD) netip.Addr { return f.CIP }, func(f *state.FD) netip.Addr { return f.SIP }),
	"fd.cip":   ipField(func(f *state.FD) netip.Addr { return f.CIP }),
	"fd.sip":   ipField(func(f *state.FD) netip.Addr { return f.SIP }),
	"fd.lip":   ipField((*state.FD).LocalIP),
	"fd.rip":   ipField((*state.FD).RemoteIP),
	"fd.net":   ipField(func(f *state.FD) netip.Addr { return f.CIP }, func(f *state.FD) netip.Addr { return f.SIP }),
	"fd.cnet":  ipField(func(f *state.FD) netip.Addr { return f.CIP }),
	"fd.snet":  ipField(func(f *state.FD) netip.Addr { return f.SIP }),
	"fd.lnet":  ipField((*state.FD).LocalIP),
	"fd.rnet":  ipField((*state.FD).RemoteIP),
	"fd.port":  portField(func(f *state.FD) uint16 { return f.CPort }, func(f *state.FD) uint16 { return f.SPort }),
	"fd.cport": portField(func(f *state.FD) uint16 { return f.CPort }),
	"fd.sport": portField(func(f *state.FD) uint16 { return f.SPort }),
	"fd.lport": portField((*state.FD).LocalPort),
	"fd.rport": portField((*state.FD).RemotePort),
	"fd.l4proto": fdf(func(f *state.FD, _ *Event, v *fields.Value) bool {
		return f.Type.IsSocket() && nonEmpty(state.L4Name(f.L4), v)
	}),
	"fd.sockfamily": fdf(func(f *state.FD, _ *Event, v *fields.Value) bool {
		switch f.Type {
		case state.FDIPv4, state.FDIPv6:
			return str("ip", v)
		case state.FDUnix:
			return str("unix", v)
		}
		return false
	}),
	"fd.is_server": fdf(func(f *state.FD, _ *Event, v *fields.Value) bool { return f.Type.IsSocket() && boolean(f.IsServer, v) }),
	"fd.uid": fdf(func(f *state.FD, e *Event, v *fields.Value) bool {
		return str(strconv.FormatInt(e.Ev.TID, 10)+strconv.FormatInt(f.Num, 10), v)
	}),
	"fd.containername": fdf(func(f *state.FD, e *Event, v *fields.Value) bool {
		return str(shortID(e)+":"+f.Name, v)
	}),
	"fd.containerdirectory": fdf(func(f *state.FD, e *Event, v *fields.Value) bool {
		return str(shortID(e)+":"+path.Dir(f.Name), v)
	}),
	"fd.connected":    fdf(func(f *state.FD, _ *Event, v *fields.Value) bool { return boolean(f.Connected, v) }),
	"fd.name_changed": fdf(func(f *state.FD, e *Event, v *fields.Value) bool { return boolean(f.NameChanged(e.Ev.Num), v) }),
	"fd.dev":          fdf(func(f *state.FD, _ *Event, v *fields.Value) bool { return u64(f.Dev, v) }),
	"fd.dev.major":    fdf(func(f *state.FD, _ *Event, v *fields.Value) bool { return u64(f.Dev>>20, v) }),
	"fd.dev.minor":    fdf(func(f *state.FD, _ *Event, v *fields.Value) bool { return u64(f.Dev&0xfffff, v) }),
	"fd.ino":          fdf(func(f *state.FD, _ *Event, v *fields.Value) bool { return u64(f.Ino, v) }),

	"fs.path.name":      fsPath(false, "path", "name", "filename", "pathname"),
	"fs.path.nameraw":   fsPath(true, "path", "name", "filename", "pathname"),
	"fs.path.source":    fsPath(false, "oldpath", "target"),
	"fs.path.sourceraw": fsPath(true, "oldpath", "target"),
	"fs.path.target":    fsPath(false, "newpath", "linkpath"),
	"fs.path.targetraw": fsPath(true, "newpath", "linkpath"),

	"container.id": func(e *Event, v *fields.Value) bool { return str(shortID(e), v) },
	"container.full_id": func(e *Event, v *fields.Value) bool {
		if e.Proc == nil {
			return false
		}
		if e.Proc.ContainerID == "" {
			return str("host", v)
		}
		return str(e.Proc.ContainerID, v)
	},
	"container.name": func(e *Event, v *fields.Value) bool {
		if e.Proc != nil && e.Proc.ContainerID == "" {
			return str("host", v)
		}
		c := ctr(e)
		return c != nil && nonEmpty(c.Name, v)
	},
	"container.type": func(e *Event, v *fields.Value) bool {
		if e.Proc != nil && e.Proc.ContainerID == "" {
			return str("host", v)
		}
		c := ctr(e)
		return c != nil && nonEmpty(c.Type, v)
	},
	"container.image":            cstr(func(c *state.Container) string { return c.Image }),
	"container.image.id":         cstr(func(c *state.Container) string { return c.ImageID }),
	"container.image.repository": cstr(func(c *state.Container) string { return c.ImageRepository }),
	"container.image.tag":        cstr(func(c *state.Container) string { return c.ImageTag }),
	"container.image.digest":     cstr(func(c *state.Container) string { return c.ImageDigest }),
	"container.ip":               cstr(func(c *state.Container) string { return c.IP }),
	"container.privileged":       cbool(func(c *state.Container) bool { return c.Privileged }),
	"container.host_pid":         cbool(func(c *state.Container) bool { return c.HostPID }),
	"container.host_network":     cbool(func(c *state.Container) bool { return c.HostNetwork }),
	"container.host_ipc":         cbool(func(c *state.Container) bool { return c.HostIPC }),
	"container.start_ts": func(e *Event, v *fields.Value) bool {
		c := ctr(e)
		return c != nil && c.StartTS != 0 && u64(uint64(c.StartTS), v)
	},
	"container.duration": func(e *Event, v *fields.Value) bool {
		c := ctr(e)
		return c != nil && c.StartTS != 0 && i64(e.Ev.TS-c.StartTS, v)
	},
	"container.mounts": func(e *Event, v *fields.Value) bool {
		c := ctr(e)
		if c == nil || len(c.Mounts) == 0 {
			return false
		}
		var b []byte
		for i, m := range c.Mounts {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendMount(b, m)
		}
		return str(string(b), v)
	},
	"container.labels": func(e *Event, v *fields.Value) bool {
		c := ctr(e)
		return c != nil && len(c.Labels) > 0 && str(joinLabels(c.Labels), v)
	},
	"k8s.pod.name": cstr((*state.Container).PodName),
	"k8s.ns.name":  cstr((*state.Container).PodNamespace),
	"k8s.pod.uid":  cstr((*state.Container).PodUID),
	"k8s.pod.id":   cstr((*state.Container).PodUID),
	"k8s.pod.labels": func(e *Event, v *fields.Value) bool {
		c := ctr(e)
		if c == nil || c.PodName() == "" {
			return false
		}
		l := podLabels(c)
		return len(l) > 0 && str(joinLabels(l), v)
	},
}

// podLabels are a pod's own labels where the runtime reports them (CRI),
// else its container's (Docker copies the pod's labels onto it).
func podLabels(c *state.Container) map[string]string {
	if len(c.PodLabels) > 0 {
		return c.PodLabels
	}
	return c.Labels
}

var builders = map[string]builder{
	"evt.type.is":   typeIs,
	"evt.arg":       evtArg(false),
	"evt.rawarg":    evtArg(true),
	"evt.abspath":   abspath,
	"proc.env":      procEnv,
	"proc.apid":     ancestorField(pPID, false),
	"proc.aname":    ancestorField(pName, true),
	"proc.aexe":     ancestorField(pExe, true),
	"proc.aexepath": ancestorField(pExePath, true),
	"proc.acmdline": ancestorField(pCmdline, true),
	"fd.types":      fdTypes,
	"container.label": func(ref fields.Ref) (fields.Extractor, error) {
		key := ref.Arg
		return extractor(func(e *Event, v *fields.Value) bool {
			c := ctr(e)
			if c == nil {
				return false
			}
			s, ok := c.Labels[key]
			return ok && str(s, v)
		}), nil
	},
	"k8s.pod.label": func(ref fields.Ref) (fields.Extractor, error) {
		key := ref.Arg
		return extractor(func(e *Event, v *fields.Value) bool {
			c := ctr(e)
			if c == nil || c.PodName() == "" {
				return false
			}
			s, ok := podLabels(c)[key]
			return ok && str(s, v)
		}), nil
	},
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

var shells = map[string]bool{"ash": true, "bash": true, "csh": true, "ksh": true, "sh": true, "tcsh": true, "zsh": true, "dash": true, "fish": true}

func isShell(comm string) bool { return shells[comm] }

func withLeader(e *Event, id func(*state.Process) int64, f func(*state.Process, *Event, *fields.Value) bool, v *fields.Value) bool {
	if e.Proc == nil {
		return false
	}
	lid := id(e.Proc)
	if lid <= 0 {
		return false
	}
	l := e.State.Get(lid)
	if l == nil {
		return false
	}
	return f(l, e, v)
}

func stdFD(n int64, name bool) getter {
	return func(e *Event, v *fields.Value) bool {
		if e.Proc == nil {
			return false
		}
		f := e.Proc.FDs.Get(n)
		if f == nil {
			return false
		}
		if name {
			return nonEmpty(f.Name, v)
		}
		return nonEmpty(f.Type.String(), v)
	}
}

// ipField extracts the first valid address among the getters (fd.ip and
// fd.net test the client and the server: libsinsp matches either).
func ipField(gs ...func(*state.FD) netip.Addr) getter {
	return fdf(func(f *state.FD, _ *Event, v *fields.Value) bool {
		if f.Type != state.FDIPv4 && f.Type != state.FDIPv6 {
			return false
		}
		for _, g := range gs {
			if addr(g(f), v) {
				return true
			}
		}
		return false
	})
}

func portField(gs ...func(*state.FD) uint16) getter {
	return fdf(func(f *state.FD, _ *Event, v *fields.Value) bool {
		if f.Type != state.FDIPv4 && f.Type != state.FDIPv6 {
			return false
		}
		for _, g := range gs {
			if p := g(f); p != 0 {
				return u64(uint64(p), v)
			}
		}
		return false
	})
}

func shortID(e *Event) string {
	if e.Proc == nil || e.Proc.ContainerID == "" {
		return "host"
	}
	id := e.Proc.ContainerID
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

func ctr(e *Event) *state.Container {
	if e.Proc == nil || e.Proc.ContainerID == "" || e.State.Containers() == nil {
		return nil
	}
	return e.State.Containers().Get(e.Proc.ContainerID)
}

func cstr(f func(*state.Container) string) getter {
	return func(e *Event, v *fields.Value) bool {
		c := ctr(e)
		return c != nil && nonEmpty(f(c), v)
	}
}

func cbool(f func(*state.Container) bool) getter {
	return func(e *Event, v *fields.Value) bool {
		c := ctr(e)
		return c != nil && c.Resolved && boolean(f(c), v)
	}
}

func appendMount(b []byte, m state.Mount) []byte {
	b = append(b, m.Source...)
	b = append(b, ':')
	b = append(b, m.Dest...)
	b = append(b, ':')
	b = append(b, m.Mode...)
	b = append(b, ':')
	b = strconv.AppendBool(b, m.RW)
	b = append(b, ':')
	return append(b, m.Propagation...)
}

func joinLabels(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteByte(':')
		b.WriteString(m[k])
	}
	return b.String()
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func typeIs(ref fields.Ref) (fields.Extractor, error) {
	want, known := event.ParseType(ref.Arg)
	return extractor(func(e *Event, v *fields.Value) bool { return boolean(known && e.Ev.Type == want, v) }), nil
}

func procEnv(ref fields.Ref) (fields.Extractor, error) {
	if !ref.HasArg {
		return extractor(proc(func(p *state.Process, _ *Event, v *fields.Value) bool {
			return str(p.EnvString(), v)
		})), nil
	}
	name := ref.Arg
	return extractor(proc(func(p *state.Process, _ *Event, v *fields.Value) bool {
		s, ok := p.Getenv(name)
		return ok && str(s, v)
	})), nil
}

// ancestorField serves proc.aname[N] (N=0 is the process itself, 1 the
// parent) and, without an index, every ancestor in turn (AnyOf).
func ancestorField(f func(*state.Process, *Event, *fields.Value) bool, isString bool) builder {
	return func(ref fields.Ref) (fields.Extractor, error) {
		if ref.HasArg {
			n := ref.Index
			return extractor(func(e *Event, v *fields.Value) bool {
				p := e.State.Ancestor(e.Proc, n)
				if p == nil {
					return false
				}
				return f(p, e, v)
			}), nil
		}
		return extractor(func(e *Event, v *fields.Value) bool {
			v.List = v.List[:0]
			var tmp fields.Value
			p := e.State.Parent(e.Proc)
			for i := 0; p != nil && i < 64; i++ {
				if f(p, e, &tmp) {
					if isString {
						v.List = append(v.List, tmp.Str)
					} else {
						v.List = append(v.List, strconv.FormatInt(tmp.Int, 10))
					}
				}
				p = e.State.Parent(p)
			}
			return len(v.List) > 0
		}), nil
	}
}

func fdTypes(ref fields.Ref) (fields.Extractor, error) {
	idx := -1
	if ref.HasArg {
		idx = ref.Index
	}
	return extractor(func(e *Event, v *fields.Value) bool {
		v.List = v.List[:0]
		if f := e.FD(); f != nil {
			v.List = append(v.List, f.Type.String())
		}
		if idx >= 0 {
			if idx >= len(v.List) {
				return false
			}
			v.Str = v.List[idx]
			return true
		}
		return len(v.List) > 0
	}), nil
}

// dirArgs names the dirfd argument a path argument is relative to.
var dirArgs = map[event.Type]map[string]string{
	event.TypeOpenat:    {"name": "dirfd"},
	event.TypeOpenat2:   {"name": "dirfd"},
	event.TypeLinkat:    {"oldpath": "olddir", "newpath": "newdir"},
	event.TypeSymlinkat: {"linkpath": "linkdirfd"},
	event.TypeUnlinkat:  {"name": "dirfd"},
	event.TypeRenameat:  {"oldpath": "olddirfd", "newpath": "newdirfd"},
	event.TypeRenameat2: {"oldpath": "olddirfd", "newpath": "newdirfd"},
	event.TypeMkdirat:   {"path": "dirfd"},
	event.TypeFchmodat:  {"filename": "dirfd"},
	event.TypeExecveat:  {"pathname": "dirfd"},
}

// unresolved path arguments are shown as passed: a symlink's target is
// text, not a path of the caller.
var unresolved = map[string]bool{"target": true, "exe": true}

// argPlan is where an extractor finds its argument in one event type,
// resolved when the field is compiled so that extraction compares no
// names.
type argPlan struct {
	idx     int           // schema index; -1 when the type lacks the argument
	resolve bool          // a path shown absolute (made so against dir)
	dir     *event.ArgKey // the dirfd a relative path is resolved against; nil for the cwd
}

// planArg returns the plan of the argument at schema index idx of t.
func planArg(t event.Type, idx int) argPlan {
	s := event.Schema(t)
	if idx < 0 || idx >= len(s) {
		return argPlan{idx: -1}
	}
	ai := s[idx]
	pl := argPlan{idx: idx, resolve: ai.Kind == event.KindPath && !unresolved[ai.Name]}
	if d, ok := dirArgs[t][ai.Name]; ok {
		pl.dir = event.KeyOf(d)
	}
	return pl
}

// firstArg plans, for every type, the first of names the type has.
func firstArg(names ...string) *[event.NumTypes]argPlan {
	var plans [event.NumTypes]argPlan
	for t := range plans {
		plans[t] = argPlan{idx: -1}
		for _, n := range names {
			if i := event.ArgIndex(event.Type(t), n); i >= 0 {
				plans[t] = planArg(event.Type(t), i)
				break
			}
		}
	}
	return &plans
}

// at returns the argument of ev that plans names.
func at(plans *[event.NumTypes]argPlan, ev *event.Event) (*argPlan, event.Arg) {
	if ev.Type >= event.NumTypes {
		return nil, event.Arg{}
	}
	pl := &plans[ev.Type]
	if pl.idx < 0 {
		return nil, event.Arg{}
	}
	return pl, ev.ArgAt(pl.idx)
}

// strBytes sets v.Str to a copy of b kept in v.Bytes, which a string field
// does not otherwise use: the copy is reused from event to event, so it
// costs no allocation once grown. v.Str is valid until the next
// extraction into v.
func strBytes(b []byte, v *fields.Value) bool {
	v.Bytes = append(v.Bytes[:0], b...)
	v.Str = bytesString(v.Bytes)
	return true
}

// bytesString views b as a string without copying.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// evtArg serves evt.arg.NAME / evt.arg[N] (rendered as Falco does, paths
// made absolute) and evt.rawarg.NAME (raw numbers, paths as passed).
func evtArg(raw bool) builder {
	return func(ref fields.Ref) (fields.Extractor, error) {
		name := ref.Arg
		idx, err := strconv.Atoi(name)
		plans := new([event.NumTypes]argPlan)
		for t := range plans {
			if err == nil {
				plans[t] = planArg(event.Type(t), idx)
			} else {
				plans[t] = planArg(event.Type(t), event.ArgIndex(event.Type(t), name))
			}
		}
		return extractor(func(e *Event, v *fields.Value) bool {
			pl, a := at(plans, e.Ev)
			if !a.Valid() {
				return false
			}
			if pl.resolve && !raw && len(a.Raw) > 0 && a.Raw[0] != '/' && e.Proc != nil {
				return str(e.State.ResolvePath(e.Proc, e.Ev, pl.dir, a.Raw), v)
			}
			if raw && a.IsScalar() {
				v.Bytes = strconv.AppendInt(v.Bytes[:0], a.Int(), 10)
			} else {
				v.Bytes = a.AppendValue(v.Bytes[:0])
			}
			v.Str = bytesString(v.Bytes)
			return true
		}), nil
	}
}

var absPathArgs = []string{"name", "path", "pathname", "filename", "oldpath", "newpath", "linkpath"}

func abspath(ref fields.Ref) (fields.Extractor, error) {
	names := absPathArgs
	if ref.HasArg {
		names = nil
		for _, n := range absPathArgs {
			if n == ref.Arg {
				names = []string{n}
			}
		}
	}
	plans := firstArg(names...)
	return extractor(func(e *Event, v *fields.Value) bool {
		pl, a := at(plans, e.Ev)
		if !a.Valid() || e.Proc == nil {
			return false
		}
		return nonEmpty(e.State.ResolvePath(e.Proc, e.Ev, pl.dir, a.Raw), v)
	}), nil
}

// fsPathTypes are the events fs.path.* apply to.
var fsPathTypes = func() (m [event.NumTypes]bool) {
	for _, t := range []event.Type{event.TypeOpen, event.TypeOpenat, event.TypeOpenat2, event.TypeCreat, event.TypeMkdir,
		event.TypeMkdirat, event.TypeRmdir, event.TypeUnlink, event.TypeUnlinkat, event.TypeChmod, event.TypeFchmodat,
		event.TypeLink, event.TypeLinkat, event.TypeSymlink, event.TypeSymlinkat, event.TypeRename,
		event.TypeRenameat, event.TypeRenameat2} {
		m[t] = true
	}
	return m
}()

func fsPath(raw bool, names ...string) getter {
	plans := firstArg(names...)
	for t := range plans {
		if !fsPathTypes[t] {
			plans[t] = argPlan{idx: -1}
		}
	}
	return func(e *Event, v *fields.Value) bool {
		pl, a := at(plans, e.Ev)
		if !a.Valid() {
			return false
		}
		if raw || !pl.resolve || e.Proc == nil {
			return strBytes(a.Raw, v)
		}
		return nonEmpty(e.State.ResolvePath(e.Proc, e.Ev, pl.dir, a.Raw), v)
	}
}

func category(t event.Type) string {
	switch {
	case t.IsOpen(), t == event.TypeClose, t == event.TypeDup, t == event.TypeDup2, t == event.TypeDup3,
		t == event.TypeLink, t == event.TypeLinkat, t == event.TypeSymlink, t == event.TypeSymlinkat,
		t == event.TypeUnlink, t == event.TypeUnlinkat, t == event.TypeRename, t == event.TypeRenameat,
		t == event.TypeRenameat2, t == event.TypeMkdir, t == event.TypeMkdirat, t == event.TypeRmdir,
		t == event.TypeChmod, t == event.TypeFchmod, t == event.TypeFchmodat, t == event.TypeMemfdCreate:
		return "file"
	case t == event.TypeSocket, t == event.TypeConnect, t == event.TypeAccept, t == event.TypeAccept4,
		t == event.TypeBind, t == event.TypeListen, t == event.TypeSocketpair:
		return "net"
	case t == event.TypeSendto, t == event.TypeSendmsg, t == event.TypeRecvfrom, t == event.TypeRecvmsg:
		return "IO"
	case t.IsExec(), t.IsClone(), t == event.TypeProcExit, t == event.TypePtrace, t == event.TypeSetns,
		t == event.TypeUnshare, t == event.TypePrctl, t == event.TypeChdir, t == event.TypeFchdir, t == event.TypeChroot:
		return "process"
	}
	return "other"
}

func isIO(t event.Type) byte {
	switch t {
	case event.TypeSendto, event.TypeSendmsg:
		return 'w'
	case event.TypeRecvfrom, event.TypeRecvmsg:
		return 'r'
	}
	return 0
}
