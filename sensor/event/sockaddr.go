package event

import (
	"encoding/binary"
	"net/netip"
)

// Address families of [SockAddr] and [Tuple] (Linux values).
const (
	FamilyUnspec = 0
	FamilyUnix   = 1
	FamilyInet   = 2
	FamilyInet6  = 10
)

// SockAddr is a decoded socket address (the addr argument of connect and
// bind). Encoding: family byte, then for AF_INET 4 address bytes and a
// big-endian port, for AF_INET6 16 address bytes and a big-endian port, for
// AF_UNIX the path bytes.
type SockAddr struct {
	Family uint8
	Addr   netip.Addr // AF_INET/AF_INET6
	Port   uint16
	Path   []byte // AF_UNIX; points into the record buffer
}

// Tuple is a decoded connection (the tuple argument of connect, accept,
// sendto, ...). For connect and send it is local -> remote; for accept and
// receive it is remote -> local, as in Falco. Encoding: family byte, then
// for AF_INET/AF_INET6 source address, big-endian source port, destination
// address, big-endian destination port; for AF_UNIX two little-endian
// uint64 socket identities (source, destination) and the path.
type Tuple struct {
	Family           uint8
	SrcAddr, DstAddr netip.Addr
	SrcPort, DstPort uint16
	SrcID, DstID     uint64 // AF_UNIX socket identities
	Path             []byte // AF_UNIX; points into the record buffer
}

// SockAddr decodes a KindSockAddr argument.
func (a Arg) SockAddr() (SockAddr, bool) {
	return DecodeSockAddr(a.Raw)
}

// Tuple decodes a KindTuple argument.
func (a Arg) Tuple() (Tuple, bool) {
	return DecodeTuple(a.Raw)
}

// DecodeSockAddr decodes an encoded socket address; false if b is empty or
// truncated.
func DecodeSockAddr(b []byte) (SockAddr, bool) {
	if len(b) < 1 {
		return SockAddr{}, false
	}
	s := SockAddr{Family: b[0]}
	b = b[1:]
	switch s.Family {
	case FamilyInet:
		if len(b) < 6 {
			return SockAddr{}, false
		}
		s.Addr = netip.AddrFrom4([4]byte(b[:4]))
		s.Port = binary.BigEndian.Uint16(b[4:])
	case FamilyInet6:
		if len(b) < 18 {
			return SockAddr{}, false
		}
		s.Addr = netip.AddrFrom16([16]byte(b[:16]))
		s.Port = binary.BigEndian.Uint16(b[16:])
	case FamilyUnix:
		s.Path = cstr(b)
	}
	return s, true
}

// DecodeTuple decodes an encoded tuple; false if b is empty or truncated.
func DecodeTuple(b []byte) (Tuple, bool) {
	if len(b) < 1 {
		return Tuple{}, false
	}
	t := Tuple{Family: b[0]}
	b = b[1:]
	switch t.Family {
	case FamilyInet:
		if len(b) < 12 {
			return Tuple{}, false
		}
		t.SrcAddr = netip.AddrFrom4([4]byte(b[:4]))
		t.SrcPort = binary.BigEndian.Uint16(b[4:])
		t.DstAddr = netip.AddrFrom4([4]byte(b[6:10]))
		t.DstPort = binary.BigEndian.Uint16(b[10:])
	case FamilyInet6:
		if len(b) < 36 {
			return Tuple{}, false
		}
		t.SrcAddr = netip.AddrFrom16([16]byte(b[:16]))
		t.SrcPort = binary.BigEndian.Uint16(b[16:])
		t.DstAddr = netip.AddrFrom16([16]byte(b[18:34]))
		t.DstPort = binary.BigEndian.Uint16(b[34:])
	case FamilyUnix:
		if len(b) < 16 {
			return Tuple{}, false
		}
		t.SrcID = binary.LittleEndian.Uint64(b)
		t.DstID = binary.LittleEndian.Uint64(b[8:])
		t.Path = cstr(b[16:])
	}
	return t, true
}

// AppendSockAddr encodes s (the inverse of [DecodeSockAddr]).
func AppendSockAddr(dst []byte, s SockAddr) []byte {
	dst = append(dst, s.Family)
	switch s.Family {
	case FamilyInet:
		a4 := s.Addr.As4()
		dst = append(dst, a4[:]...)
		dst = binary.BigEndian.AppendUint16(dst, s.Port)
	case FamilyInet6:
		a16 := s.Addr.As16()
		dst = append(dst, a16[:]...)
		dst = binary.BigEndian.AppendUint16(dst, s.Port)
	case FamilyUnix:
		dst = append(dst, s.Path...)
	}
	return dst
}

// AppendTuple encodes t (the inverse of [DecodeTuple]).
func AppendTuple(dst []byte, t Tuple) []byte {
	dst = append(dst, t.Family)
	switch t.Family {
	case FamilyInet:
		s, d := t.SrcAddr.As4(), t.DstAddr.As4()
		dst = append(dst, s[:]...)
		dst = binary.BigEndian.AppendUint16(dst, t.SrcPort)
		dst = append(dst, d[:]...)
		dst = binary.BigEndian.AppendUint16(dst, t.DstPort)
	case FamilyInet6:
		s, d := t.SrcAddr.As16(), t.DstAddr.As16()
		dst = append(dst, s[:]...)
		dst = binary.BigEndian.AppendUint16(dst, t.SrcPort)
		dst = append(dst, d[:]...)
		dst = binary.BigEndian.AppendUint16(dst, t.DstPort)
	case FamilyUnix:
		dst = binary.LittleEndian.AppendUint64(dst, t.SrcID)
		dst = binary.LittleEndian.AppendUint64(dst, t.DstID)
		dst = append(dst, t.Path...)
	}
	return dst
}
