package state

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"io"
	"net/netip"
	"os"
	"path"
	"strconv"
	"strings"
	"time"
)

func readFileLimit(p string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit))
}

// Scan fills the table from /proc: every process with its executable,
// arguments, environment, cwd, users, login uid, tty, container and open
// file descriptors. Processes started later come from events.
func (t *Table) Scan() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	des, err := os.ReadDir(t.o.ProcRoot)
	if err != nil {
		return err
	}
	socks := readNetSockets(t.o.ProcRoot)
	for _, de := range des {
		pid, err := strconv.ParseInt(de.Name(), 10, 64)
		if err != nil {
			continue
		}
		if p := t.readProcWith(pid, socks); p != nil {
			p.FromScan = true
			t.put(p)
		}
	}
	return nil
}

var bootTime = sync1(func() int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Now().UnixNano()
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "btime "); ok {
			s, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return s * int64(time.Second)
		}
	}
	return 0
})

func sync1[T any](f func() T) func() T {
	var v T
	done := false
	return func() T {
		if !done {
			v, done = f(), true
		}
		return v
	}
}

// readProc builds a Process from /proc/<pid>, nil if it is gone.
func (t *Table) readProc(pid int64) *Process {
	return t.readProcWith(pid, nil)
}

func (t *Table) readProcWith(pid int64, socks map[uint64]sockInfo) *Process {
	dir := path.Join(t.o.ProcRoot, strconv.FormatInt(pid, 10))
	stat, err := readFileLimit(path.Join(dir, "stat"), 4096)
	if err != nil {
		return nil
	}
	p := &Process{PID: pid, LoginUID: -1}
	// comm is in parentheses and may contain spaces or parentheses.
	open, closeP := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if open < 0 || closeP < open {
		return nil
	}
	p.Comm = t.internBytes(stat[open+1 : closeP])
	f := strings.Fields(string(stat[closeP+1:]))
	// f[0] state, f[1] ppid, f[2] pgrp, f[3] session, f[4] tty_nr, f[19] starttime
	if len(f) > 19 {
		p.PPID, _ = strconv.ParseInt(f[1], 10, 64)
		p.PGID, _ = strconv.ParseInt(f[2], 10, 64)
		p.SID, _ = strconv.ParseInt(f[3], 10, 64)
		tty, _ := strconv.ParseUint(f[4], 10, 64)
		if tty != 0 {
			major := (tty >> 8) & 0xfff
			minor := (tty & 0xff) | ((tty >> 12) & 0xfff00)
			p.TTY = major<<20 | minor
		}
		st, _ := strconv.ParseInt(f[19], 10, 64)
		p.StartTS = bootTime() + st*int64(time.Second)/100
	}
	if b, err := readFileLimit(path.Join(dir, "status"), 8192); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				continue
			}
			fs := strings.Fields(v)
			if len(fs) == 0 {
				continue
			}
			switch k {
			case "Uid":
				if len(fs) > 1 {
					u, _ := strconv.ParseUint(fs[1], 10, 32)
					p.UID = uint32(u)
				}
			case "Gid":
				if len(fs) > 1 {
					g, _ := strconv.ParseUint(fs[1], 10, 32)
					p.GID = uint32(g)
				}
			case "CapInh":
				p.CapInherit, _ = strconv.ParseUint(fs[0], 16, 64)
			case "CapPrm":
				p.CapPermitted, _ = strconv.ParseUint(fs[0], 16, 64)
			case "CapEff":
				p.CapEffective, _ = strconv.ParseUint(fs[0], 16, 64)
			case "NSpid":
				p.VPID, _ = strconv.ParseInt(fs[len(fs)-1], 10, 64)
			}
		}
	}
	if b, err := readFileLimit(path.Join(dir, "cmdline"), 64<<10); err == nil && len(b) > 0 {
		parts := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
		p.Exe = t.internBytes([]byte(parts[0]))
		if len(parts) > 1 {
			p.Args = parts[1:]
		}
	}
	if b, err := readFileLimit(path.Join(dir, "environ"), 64<<10); err == nil && len(b) > 0 {
		p.Env = strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
	}
	if s, err := os.Readlink(path.Join(dir, "exe")); err == nil {
		if strings.HasPrefix(s, "/memfd:") {
			p.ExeFlags |= 1 << 2 // event.ExeFromMemfd
		}
		p.ExePath = t.internBytes([]byte(strings.TrimSuffix(s, " (deleted)")))
		if fi, err := os.Stat(path.Join(dir, "exe")); err == nil {
			p.ExeMtime = fi.ModTime().UnixNano()
			p.ExeCtime = ctimeOf(fi)
			p.ExeIno = inoOf(fi)
		}
	}
	if s, err := os.Readlink(path.Join(dir, "cwd")); err == nil {
		p.Cwd = t.internBytes([]byte(s))
	}
	if b, err := readFileLimit(path.Join(dir, "loginuid"), 32); err == nil {
		if v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil {
			p.LoginUID = loginUID(v)
		}
	}
	if b, err := readFileLimit(path.Join(dir, "cgroup"), 16<<10); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			parts := strings.SplitN(l, ":", 3)
			if len(parts) == 3 {
				if id, rt := ContainerIDFromCgroup([]byte(parts[2])); id != "" {
					p.ContainerID = t.internBytes([]byte(id))
					if c := t.o.Containers; c != nil {
						c.ObserveRuntime(p.ContainerID, rt)
					}
					break
				}
			}
		}
	}
	t.readFDs(p, dir, socks)
	return p
}

func (t *Table) readFDs(p *Process, dir string, socks map[uint64]sockInfo) {
	fdDir := path.Join(dir, "fd")
	des, err := os.ReadDir(fdDir)
	if err != nil {
		return
	}
	for _, de := range des {
		n, err := strconv.ParseInt(de.Name(), 10, 64)
		if err != nil {
			continue
		}
		target, err := os.Readlink(path.Join(fdDir, de.Name()))
		if err != nil {
			continue
		}
		fd := &FD{Num: n}
		switch {
		case strings.HasPrefix(target, "/"):
			fd.Type = FDFile
			fd.Name = t.internBytes([]byte(target))
			fd.NameRaw = fd.Name
			if st, err := os.Stat(path.Join(fdDir, de.Name())); err == nil && st.IsDir() {
				fd.Type = FDDirectory
			}
		case strings.HasPrefix(target, "pipe:"):
			fd.Type, fd.Name = FDPipe, target
		case strings.HasPrefix(target, "socket:["):
			ino, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]"), 10, 64)
			fd.Type = FDUnix
			if si, ok := socks[ino]; ok {
				fd.Type, fd.L4 = si.typ, si.l4
				if si.local.IsValid() {
					fd.Connected = si.remote.Addr().IsValid() && !si.remote.Addr().IsUnspecified()
					fd.IsServer = !fd.Connected
					if fd.Connected {
						fd.setTuple(si.local.Addr(), si.local.Port(), si.remote.Addr(), si.remote.Port())
					} else {
						fd.SIP, fd.SPort = si.local.Addr(), si.local.Port()
					}
				}
			}
		case strings.HasPrefix(target, "anon_inode:"):
			kind := strings.Trim(strings.TrimPrefix(target, "anon_inode:"), "[]")
			switch kind {
			case "eventfd":
				fd.Type = FDEvent
			case "eventpoll":
				fd.Type = FDEventpoll
			case "inotify":
				fd.Type = FDInotify
			case "signalfd":
				fd.Type = FDSignalfd
			case "timerfd":
				fd.Type = FDTimerfd
			case "bpf-map", "bpf-prog", "bpf_link", "bpf-link":
				fd.Type = FDBPF
			case "userfaultfd":
				fd.Type = FDUserfaultfd
			case "io_uring":
				fd.Type = FDIOUring
			case "pidfd":
				fd.Type = FDPidfd
			}
			fd.Name = target
		default:
			fd.Name = target
		}
		p.FDs.Set(fd)
	}
}

type sockInfo struct {
	typ           FDType
	l4            uint8
	local, remote netip.AddrPort
}

// readNetSockets maps socket inodes to their endpoints from /proc/net.
func readNetSockets(procRoot string) map[uint64]sockInfo {
	m := map[uint64]sockInfo{}
	for _, f := range []struct {
		name string
		typ  FDType
		l4   uint8
	}{{"tcp", FDIPv4, L4TCP}, {"tcp6", FDIPv6, L4TCP}, {"udp", FDIPv4, L4UDP}, {"udp6", FDIPv6, L4UDP}, {"raw", FDIPv4, L4Raw}} {
		fh, err := os.Open(path.Join(procRoot, "net", f.name))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		sc.Scan() // header
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) < 10 {
				continue
			}
			ino, err := strconv.ParseUint(fs[9], 10, 64)
			if err != nil || ino == 0 {
				continue
			}
			m[ino] = sockInfo{typ: f.typ, l4: f.l4, local: parseHexAddr(fs[1]), remote: parseHexAddr(fs[2])}
		}
		fh.Close()
	}
	return m
}

// parseHexAddr parses /proc/net's "0100007F:1F90" (address in host byte
// order per 32-bit word, port big-endian hex).
func parseHexAddr(s string) netip.AddrPort {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}
	}
	port, _ := strconv.ParseUint(p, 16, 16)
	raw, err := hex.DecodeString(a)
	if err != nil {
		return netip.AddrPort{}
	}
	for i := 0; i+4 <= len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	switch len(raw) {
	case 4:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(raw)), uint16(port))
	case 16:
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(raw)).Unmap(), uint16(port))
	}
	return netip.AddrPort{}
}
