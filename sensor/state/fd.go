package state

import (
	"net/netip"
	"strconv"
)

// FDType is Falco's fd.type.
type FDType uint8

// File descriptor types, named as Falco names them.
const (
	FDUnknown FDType = iota
	FDFile
	FDDirectory
	FDIPv4
	FDIPv6
	FDUnix
	FDPipe
	FDEvent
	FDSignalfd
	FDEventpoll
	FDInotify
	FDTimerfd
	FDNetlink
	FDBPF
	FDUserfaultfd
	FDIOUring
	FDMemfd
	FDPidfd
)

var fdTypeNames = [...]string{"", "file", "directory", "ipv4", "ipv6", "unix", "pipe", "event", "signalfd",
	"eventpoll", "inotify", "timerfd", "netlink", "bpf", "userfaultfd", "io_uring", "memfd", "pidfd"}

// fd.typechar as libsinsp prints it.
var fdTypeChars = [...]string{"o", "f", "d", "4", "6", "u", "p", "e", "s", "l", "i", "t", "n", "b", "u", "r", "m", "P"}

func (t FDType) String() string {
	if int(t) < len(fdTypeNames) {
		return fdTypeNames[t]
	}
	return ""
}

// Char is fd.typechar.
func (t FDType) Char() string {
	if int(t) < len(fdTypeChars) {
		return fdTypeChars[t]
	}
	return "o"
}

// IsSocket reports whether t is a network or unix socket.
func (t FDType) IsSocket() bool { return t == FDIPv4 || t == FDIPv6 || t == FDUnix || t == FDNetlink }

// L4 protocols (fd.l4proto).
const (
	L4Unknown uint8 = iota
	L4TCP
	L4UDP
	L4ICMP
	L4Raw
)

var l4Names = [...]string{"", "tcp", "udp", "icmp", "raw"}

// L4Name is fd.l4proto.
func L4Name(p uint8) string {
	if int(p) < len(l4Names) {
		return l4Names[p]
	}
	return ""
}

// FD is one open file descriptor.
type FD struct {
	Num  int64
	Type FDType
	// Name is Falco's fd.name: the resolved absolute path of a file, the
	// tuple "cip:cport->sip:sport" of a connected socket.
	Name string
	// NameRaw is the path as passed to the call.
	NameRaw string
	// Flags are the open flags (event.Open* bits).
	Flags uint64
	Dev   uint64
	Ino   uint64
	// Socket endpoints: client and server, as libsinsp orients them.
	L4                  uint8
	CIP, SIP            netip.Addr
	CPort, SPort        uint16
	Connected, IsServer bool
	unixPath            string
	nameChangedAt       uint64 // event number of the last connect/accept on the fd
}

// Local/remote endpoints follow from IsServer.
func (f *FD) LocalIP() netip.Addr {
	if f.IsServer {
		return f.SIP
	}
	return f.CIP
}

// RemoteIP is fd.rip.
func (f *FD) RemoteIP() netip.Addr {
	if f.IsServer {
		return f.CIP
	}
	return f.SIP
}

// LocalPort is fd.lport.
func (f *FD) LocalPort() uint16 {
	if f.IsServer {
		return f.SPort
	}
	return f.CPort
}

// RemotePort is fd.rport.
func (f *FD) RemotePort() uint16 {
	if f.IsServer {
		return f.CPort
	}
	return f.SPort
}

// setTuple fills the socket endpoints and the name "cip:cport->sip:sport".
func (f *FD) setTuple(cip netip.Addr, cport uint16, sip netip.Addr, sport uint16) {
	f.CIP, f.CPort, f.SIP, f.SPort = cip, cport, sip, sport
	b := make([]byte, 0, 64)
	b = appendAddrPort(b, cip, cport)
	b = append(b, "->"...)
	b = appendAddrPort(b, sip, sport)
	f.Name = string(b)
}

func appendAddrPort(b []byte, ip netip.Addr, port uint16) []byte {
	if ip.Is4In6() {
		ip = ip.Unmap()
	}
	if ip.IsValid() {
		b = ip.AppendTo(b)
	}
	b = append(b, ':')
	return strconv.AppendUint(b, uint64(port), 10)
}

// FDTable maps fd numbers to descriptors. Small numbers live in a slice,
// the rest in a map, so the common case needs no hashing.
type FDTable struct {
	low  []*FD
	high map[int64]*FD
	n    int
}

const lowFDs = 64

// Get returns fd n.
func (t *FDTable) Get(n int64) *FD {
	if n >= 0 && n < int64(len(t.low)) {
		return t.low[n]
	}
	if n >= lowFDs && t.high != nil {
		return t.high[n]
	}
	return nil
}

// Set stores fd (replacing what was at fd.Num).
func (t *FDTable) Set(fd *FD) {
	n := fd.Num
	if n < 0 {
		return
	}
	if n < lowFDs {
		if int(n) >= len(t.low) {
			nl := make([]*FD, max(int(n)+1, min(2*len(t.low), lowFDs)))
			copy(nl, t.low)
			t.low = nl
		}
		if t.low[n] == nil {
			t.n++
		}
		t.low[n] = fd
		return
	}
	if t.high == nil {
		t.high = map[int64]*FD{}
	}
	if _, ok := t.high[n]; !ok {
		t.n++
	}
	t.high[n] = fd
}

// Delete removes fd n.
func (t *FDTable) Delete(n int64) {
	if n >= 0 && n < int64(len(t.low)) {
		if t.low[n] != nil {
			t.n--
			t.low[n] = nil
		}
		return
	}
	if _, ok := t.high[n]; ok {
		t.n--
		delete(t.high, n)
	}
}

// Len is the number of open fds (proc.fdopencount).
func (t *FDTable) Len() int { return t.n }

// Each calls f for every fd.
func (t *FDTable) Each(f func(*FD)) {
	for _, fd := range t.low {
		if fd != nil {
			f(fd)
		}
	}
	for _, fd := range t.high {
		f(fd)
	}
}

// clone copies the table for a forked child. Each descriptor is copied
// too, so that every FD belongs to one table and can be recycled when it
// is closed.
func (t *FDTable) clone() FDTable {
	c := FDTable{n: t.n}
	if t.low != nil {
		c.low = make([]*FD, len(t.low))
		for i, f := range t.low {
			if f != nil {
				cp := *f
				c.low[i] = &cp
			}
		}
	}
	if t.high != nil {
		c.high = make(map[int64]*FD, len(t.high))
		for k, v := range t.high {
			cp := *v
			c.high[k] = &cp
		}
	}
	return c
}
