package state

import (
	"github.com/sakersec/saker/sensor/event"
)

// SnapshotSyscall marks events that describe state rather than something
// that happened: Snapshot writes them at the start of a recording so that
// a replay knows the processes and files that existed before it. They
// update the state and are never evaluated by rules.
const SnapshotSyscall = -2

// IsSnapshot reports whether ev is a state-snapshot event.
func IsSnapshot(ev *event.Event) bool { return ev.Syscall == SnapshotSyscall }

// Snapshot calls fn with one synthetic execve per process in the table and
// one openat per open file or directory, as of ts. The event passed to fn
// is reused.
func (t *Table) Snapshot(ts int64, fn func(*event.Event) error) error {
	var ev event.Event
	var enc event.Encoder
	vals := map[string]any{}
	for _, p := range t.procs {
		if p.Exited {
			continue
		}
		clear(vals)
		vals["exe"], vals["args"], vals["cwd"], vals["env"] = p.Exe, p.Args, p.Cwd, p.Env
		vals["tty"], vals["flags"], vals["exe_ino"] = int64(p.TTY), int64(p.ExeFlags), int64(p.ExeIno)
		vals["exe_ino_ctime"], vals["exe_ino_mtime"] = p.ExeCtime, p.ExeMtime
		vals["cap_inheritable"], vals["cap_permitted"], vals["cap_effective"] = int64(p.CapInherit), int64(p.CapPermitted), int64(p.CapEffective)
		vals["trusted_exepath"], vals["filename"] = p.ExePath, p.ExePath
		if p.LoginUID < 0 {
			vals["loginuid"] = int64(0xffffffff)
		} else {
			vals["loginuid"] = p.LoginUID
		}
		if p.ContainerID != "" {
			vals["cgroups"] = []string{"cgroup=/docker/" + p.ContainerID}
		}
		if err := t.emit(&ev, &enc, event.TypeExecve, p, 0, ts, vals, fn); err != nil {
			return err
		}
		var err error
		p.FDs.Each(func(f *FD) {
			if err != nil || (f.Type != FDFile && f.Type != FDDirectory) {
				return
			}
			clear(vals)
			flags := f.Flags
			if f.Type == FDDirectory {
				flags |= event.OpenDirectory
			}
			vals["dirfd"], vals["name"], vals["flags"] = int64(-100), f.Name, int64(flags)
			vals["dev"], vals["ino"] = int64(f.Dev), int64(f.Ino)
			err = t.emit(&ev, &enc, event.TypeOpenat, p, f.Num, ts, vals, fn)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *Table) emit(ev *event.Event, enc *event.Encoder, typ event.Type, p *Process, res, ts int64, vals map[string]any, fn func(*event.Event) error) error {
	enc.Reset()
	if err := enc.Args(typ, vals); err != nil {
		return err
	}
	*ev = event.Event{Type: typ, Syscall: SnapshotSyscall, TID: p.PID, PID: p.PID, PPID: p.PPID, UID: p.UID, GID: p.GID, Res: res, TS: ts}
	copy(ev.Comm[:], p.Comm)
	if err := ev.SetArgs(enc.Bytes()); err != nil {
		return err
	}
	return fn(ev)
}
