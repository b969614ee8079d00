package state

import (
	"strings"
)

// Process is one process (thread group) as the sensor tracks it. Strings
// are interned or copied out of event buffers; a Process is owned by its
// Table and must not be kept beyond the handling of the current event.
type Process struct {
	PID, PPID int64
	// VPID is the pid inside the process's pid namespace (0 if unknown).
	VPID int64
	SID  int64
	PGID int64
	// Comm is the kernel comm (proc.name), at most 15 bytes.
	Comm string
	// Exe is argv[0] (proc.exe); ExePath the executable's path.
	Exe     string
	ExePath string
	Args    []string
	// Env is the environment, one "K=V" per entry.
	Env      []string
	Cwd      string
	UID, GID uint32
	// LoginUID is -1 when unset (4294967295 in the kernel).
	LoginUID int64
	// TTY is the controlling terminal's device number, 0 for none.
	TTY uint64
	// StartTS is the process start time in ns since the epoch.
	StartTS int64
	ExeIno  uint64
	// ExeCtime/ExeMtime are the executable's times in ns since the epoch.
	ExeCtime, ExeMtime int64
	// ExeFlags are event.Exe* bits (writable, upper layer, memfd).
	ExeFlags                               uint64
	CapEffective, CapPermitted, CapInherit uint64
	// ContainerID is the 64-character id, "" on the host.
	ContainerID string
	FDs         FDTable
	Exited      bool
	lastSeen    uint64
	// FromScan marks processes found by the /proc scan, whose exec we did
	// not see.
	FromScan bool
	// minimal marks a process built from one event header: /proc did not
	// have it, so a fork's child side copies the parent instead.
	minimal bool
	// users caches UsersOf until the next exec.
	users *Users
	cache strCache
}

// Cmdline returns Falco's proc.cmdline: the name followed by the arguments.
func (p *Process) Cmdline(dst []byte) []byte {
	dst = append(dst, p.Comm...)
	for _, a := range p.Args {
		dst = append(dst, ' ')
		dst = append(dst, a...)
	}
	return dst
}

// ArgsLine returns proc.args: the arguments space-joined.
func (p *Process) ArgsLine(dst []byte) []byte { return appendSpaced(dst, p.Args) }

// EnvLine returns proc.env: the environment space-joined.
func (p *Process) EnvLine(dst []byte) []byte { return appendSpaced(dst, p.Env) }

// appendSpaced appends parts to dst separated by single spaces.
func appendSpaced(dst []byte, parts []string) []byte {
	for i, a := range parts {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, a...)
	}
	return dst
}

// Getenv returns one environment variable (proc.env[NAME]).
func (p *Process) Getenv(name string) (string, bool) {
	for _, kv := range p.Env {
		if len(kv) > len(name) && kv[len(name)] == '=' && strings.HasPrefix(kv, name) {
			return kv[len(name)+1:], true
		}
	}
	return "", false
}

// clone copies p for a new child: Falco's children inherit the parent's
// executable, arguments, environment, cwd, users and open files until they
// exec.
func (p *Process) cloneFor(pid int64) *Process {
	c := *p
	c.PID, c.PPID = pid, p.PID
	c.Exited, c.FromScan = false, false
	c.FDs = p.FDs.clone()
	return &c
}

// strCache memoises the joined strings of a process: they change only on
// exec, and rules read them on most events.
type strCache struct {
	cmdline, args, env string
	have               uint8
}

// CmdlineString is Cmdline as a string, computed once per exec.
func (p *Process) CmdlineString() string {
	if p.cache.have&1 == 0 {
		p.cache.cmdline = string(p.Cmdline(nil))
		p.cache.have |= 1
	}
	return p.cache.cmdline
}

// ArgsString is ArgsLine as a string, computed once per exec.
func (p *Process) ArgsString() string {
	if p.cache.have&2 == 0 {
		p.cache.args = string(p.ArgsLine(nil))
		p.cache.have |= 2
	}
	return p.cache.args
}

// EnvString is EnvLine as a string, computed once per exec.
func (p *Process) EnvString() string {
	if p.cache.have&4 == 0 {
		p.cache.env = string(p.EnvLine(nil))
		p.cache.have |= 4
	}
	return p.cache.env
}
