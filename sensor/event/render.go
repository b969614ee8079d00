package event

import (
	"net/netip"
	"strconv"
)

// AppendValue appends the argument's value as evt.arg.NAME renders it:
// flags and enums by name ("O_RDONLY|O_CLOEXEC", "AF_PACKET"; the number
// when no name matches), modes in octal, devices and capabilities in hex,
// addresses as "ip:port", tuples as "sip:sport->dip:dport", lists joined
// by spaces, everything else as is.
func (a Arg) AppendValue(dst []byte) []byte {
	if a.Info == nil {
		return dst
	}
	switch a.Info.Kind {
	case KindFlags, KindEnum:
		n := len(dst)
		if a.Info.Flags != nil {
			dst = a.Info.Flags.AppendName(dst, a.Uint())
		}
		if len(dst) == n {
			dst = strconv.AppendUint(dst, a.Uint(), 10)
		}
		return dst
	}
	return a.appendPlain(dst)
}

// AppendArg appends the argument as evt.args shows it: "name=value", where
// flags and enums show the number with the names in parentheses
// ("flags=4097(O_RDONLY|O_CLOEXEC)").
func (a Arg) AppendArg(dst []byte) []byte {
	if a.Info == nil {
		return dst
	}
	dst = append(dst, a.Info.Name...)
	dst = append(dst, '=')
	switch a.Info.Kind {
	case KindFlags, KindEnum:
		v := a.Uint()
		dst = strconv.AppendUint(dst, v, 10)
		if a.Info.Flags != nil {
			dst = append(dst, '(')
			n := len(dst)
			dst = a.Info.Flags.AppendName(dst, v)
			if len(dst) == n {
				dst = dst[:n-1]
			} else {
				dst = append(dst, ')')
			}
		}
		return dst
	}
	return a.appendPlain(dst)
}

func (a Arg) appendPlain(dst []byte) []byte {
	switch a.Info.Kind {
	case KindInt, KindFD, KindPID:
		return strconv.AppendInt(dst, a.Int(), 10)
	case KindUint, KindUID, KindGID, KindTime:
		return strconv.AppendUint(dst, a.Uint(), 10)
	case KindMode:
		if v := a.Uint(); v != 0 {
			dst = append(dst, '0')
			return strconv.AppendUint(dst, v, 8)
		}
		return append(dst, '0')
	case KindDev, KindHex:
		return strconv.AppendUint(dst, a.Uint(), 16)
	case KindPath, KindString:
		return append(dst, a.Raw...)
	case KindBytes:
		for _, c := range a.Raw {
			if c < 0x20 || c > 0x7e {
				c = '.'
			}
			dst = append(dst, c)
		}
		return dst
	case KindList:
		it := a.List()
		first := true
		for item, ok := it.Next(); ok; item, ok = it.Next() {
			if !first {
				dst = append(dst, ' ')
			}
			first = false
			dst = append(dst, item...)
		}
		return dst
	case KindSockAddr:
		s, ok := a.SockAddr()
		if !ok {
			return dst
		}
		if s.Family == FamilyUnix {
			return append(dst, s.Path...)
		}
		return appendIPPort(dst, s.Addr, s.Port)
	case KindTuple:
		t, ok := a.Tuple()
		if !ok {
			return dst
		}
		if t.Family == FamilyUnix {
			dst = append(dst, "0x"...)
			dst = strconv.AppendUint(dst, t.SrcID, 16)
			dst = append(dst, "->0x"...)
			dst = strconv.AppendUint(dst, t.DstID, 16)
			dst = append(dst, ' ')
			return append(dst, t.Path...)
		}
		dst = appendIPPort(dst, t.SrcAddr, t.SrcPort)
		dst = append(dst, "->"...)
		return appendIPPort(dst, t.DstAddr, t.DstPort)
	}
	return dst
}

func appendIPPort(dst []byte, ip netip.Addr, port uint16) []byte {
	if !ip.IsValid() {
		return dst
	}
	dst = ip.AppendTo(dst)
	dst = append(dst, ':')
	return strconv.AppendUint(dst, uint64(port), 10)
}

// AppendArgs appends evt.args: every argument as "name=value" separated by
// spaces, header-sourced ones included (res, tid, ...). For output only:
// rules should compare evt.arg.NAME.
func (e *Event) AppendArgs(dst []byte) []byte {
	n := e.NumArgs()
	for i := 0; i < n; i++ {
		a := e.ArgAt(i)
		if !a.Valid() {
			continue
		}
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = a.AppendArg(dst)
	}
	return dst
}
