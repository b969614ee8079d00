package event

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrMalformed reports an argument area that does not match its type's
// schema (truncated, too many or too few arguments).
var ErrMalformed = errors.New("malformed event record")

// Event is one captured syscall (or scheduler event), reported at exit.
//
// An Event is meant to be reused: the capture reader decodes every record
// into the same Event. Slices returned by its arguments point into the
// record buffer and are valid only until the next decode into this Event.
// An Event is not safe for concurrent use.
type Event struct {
	Num     uint64   // evt.num: sequence number assigned by the reader, from 1
	TS      int64    // evt.time: nanoseconds since the Unix epoch (wall clock)
	Type    Type     // evt.type
	Syscall int32    // native syscall number seen at entry; -1 for scheduler events
	CPU     uint32   // evt.cpu
	TID     int64    // thread.tid (kernel pid)
	PID     int64    // proc.pid (kernel tgid)
	PPID    int64    // proc.ppid (tgid of the real parent), 0 when unknown
	UID     uint32   // user.uid (effective)
	GID     uint32   // group.gid (effective)
	Comm    [16]byte // proc.name, NUL-padded (at most 15 bytes)
	Res     int64    // evt.rawres: return value; negative errno on failure

	area []byte // argument area of the record
	off  [MaxArgs]uint32
	size [MaxArgs]uint16
}

// Dir is evt.dir: always '<', every event is reported at exit.
func (e *Event) Dir() byte { return '<' }

// CommBytes returns Comm up to its first NUL.
func (e *Event) CommBytes() []byte { return cstr(e.Comm[:]) }

// Failed reports whether the syscall returned an error (Res < 0). Events
// whose first argument is not a return value (procexit) never fail.
func (e *Event) Failed() bool { return e.Type != TypeProcExit && e.Res < 0 }

// SetArgs decodes the argument area of a record for e.Type: a sequence of
// (uint16 little-endian length, bytes) pairs, one per schema argument whose
// Src is SrcRecord, in schema order. The Event keeps area (no copy), so
// area must stay unchanged while e's arguments are used.
func (e *Event) SetArgs(area []byte) error {
	n := RecordArgs(e.Type)
	e.area = area
	pos := 0
	for i := 0; i < n; i++ {
		if len(area)-pos < 2 {
			e.area = nil
			return fmt.Errorf("%s: argument %d of %d: %w (area ends at byte %d)", e.Type, i, n, ErrMalformed, len(area))
		}
		l := int(binary.LittleEndian.Uint16(area[pos:]))
		pos += 2
		if l > len(area)-pos {
			e.area = nil
			return fmt.Errorf("%s: argument %d of %d: %w (length %d past the end at byte %d)", e.Type, i, n, ErrMalformed, l, pos)
		}
		e.off[i] = uint32(pos)
		e.size[i] = uint16(l)
		pos += l
	}
	if pos != len(area) {
		e.area = nil
		return fmt.Errorf("%s: %w (%d bytes after the %d arguments)", e.Type, ErrMalformed, len(area)-pos, n)
	}
	return nil
}

// NumArgs returns the number of arguments of e's type (len(Schema(e.Type))).
func (e *Event) NumArgs() int { return len(Schema(e.Type)) }

// ArgAt returns argument i in schema order (evt.arg[i]); the zero Arg
// (Valid false) if i is out of range or the event carries no argument area.
func (e *Event) ArgAt(i int) Arg {
	if e.Type >= NumTypes {
		return Arg{}
	}
	s := &schemas[e.Type]
	if i < 0 || i >= len(s.args) {
		return Arg{}
	}
	info := &s.args[i]
	switch info.Src {
	case SrcRecord:
		r := int(s.rec[i])
		if e.area == nil || r >= s.nrec {
			return Arg{}
		}
		o := e.off[r]
		return Arg{Info: info, Raw: e.area[o : o+uint32(e.size[r]) : o+uint32(e.size[r])]}
	case SrcRes:
		return Arg{Info: info, val: e.Res, scalar: true}
	case SrcTID:
		return Arg{Info: info, val: e.TID, scalar: true}
	case SrcPID:
		return Arg{Info: info, val: e.PID, scalar: true}
	case SrcPPID:
		return Arg{Info: info, val: e.PPID, scalar: true}
	case SrcUID:
		return Arg{Info: info, val: int64(e.UID), scalar: true}
	case SrcGID:
		return Arg{Info: info, val: int64(e.GID), scalar: true}
	case SrcComm:
		return Arg{Info: info, Raw: e.CommBytes()}
	}
	return Arg{}
}

// Arg returns the argument named name (evt.arg.NAME).
func (e *Event) Arg(name string) (Arg, bool) {
	i := ArgIndex(e.Type, name)
	if i < 0 {
		return Arg{}, false
	}
	a := e.ArgAt(i)
	return a, a.Valid()
}

// Int returns the integer argument named name, or false.
func (e *Event) Int(name string) (int64, bool) {
	a, ok := e.Arg(name)
	if !ok {
		return 0, false
	}
	return a.Int(), true
}

// Bytes returns the string/path/buffer argument named name, or false. The
// slice points into the record buffer (see [Event]).
func (e *Event) Bytes(name string) ([]byte, bool) {
	a, ok := e.Arg(name)
	if !ok {
		return nil, false
	}
	return a.Raw, true
}

// OpenFlags returns Falco's open flags (Open* constants) of an open-family
// event; for creat, the flags it implies (O_WRONLY|O_CREAT|O_TRUNC).
func (e *Event) OpenFlags() (uint64, bool) {
	switch e.Type {
	case TypeOpen, TypeOpenat, TypeOpenat2:
		return e.UintOf(KeyFlags)
	case TypeCreat:
		return OpenWrite | OpenCreat | OpenTrunc, true
	}
	return 0, false
}

// IsOpenRead is evt.is_open_read: an open, openat or openat2 event whose
// flags allow reading (as in Falco, creat is not included).
func (e *Event) IsOpenRead() bool {
	f, ok := e.OpenFlags()
	return ok && e.Type != TypeCreat && f&OpenRead != 0
}

// IsOpenWrite is evt.is_open_write: an open, openat or openat2 event whose
// flags allow writing (as in Falco, creat is not included).
func (e *Event) IsOpenWrite() bool {
	f, ok := e.OpenFlags()
	return ok && e.Type != TypeCreat && f&OpenWrite != 0
}

// Reset clears e for reuse (the reader overwrites every field anyway).
func (e *Event) Reset() { *e = Event{} }

// Arg is one argument of an [Event]. Raw points into the record buffer.
type Arg struct {
	Info   *ArgInfo // nil for the zero Arg
	Raw    []byte   // encoded value (nil for header-sourced scalars)
	val    int64
	scalar bool
}

// Valid reports whether the argument exists.
func (a Arg) Valid() bool { return a.Info != nil }

// Name returns the argument's Falco name.
func (a Arg) Name() string {
	if a.Info == nil {
		return ""
	}
	return a.Info.Name
}

// Int returns a scalar argument as a signed value (sign-extended for
// signed kinds, zero-extended for the others); 0 for non-scalars.
func (a Arg) Int() int64 {
	if a.scalar {
		return a.val
	}
	signed := a.Info != nil && (a.Info.Kind == KindInt || a.Info.Kind == KindFD || a.Info.Kind == KindPID)
	b := a.Raw
	switch len(b) {
	case 1:
		if signed {
			return int64(int8(b[0]))
		}
		return int64(b[0])
	case 2:
		v := binary.LittleEndian.Uint16(b)
		if signed {
			return int64(int16(v))
		}
		return int64(v)
	case 4:
		v := binary.LittleEndian.Uint32(b)
		if signed {
			return int64(int32(v))
		}
		return int64(v)
	case 8:
		return int64(binary.LittleEndian.Uint64(b))
	}
	return 0
}

// Uint returns a scalar argument as an unsigned value.
func (a Arg) Uint() uint64 {
	if a.scalar {
		return uint64(a.val)
	}
	if a.Info != nil && (a.Info.Kind == KindInt || a.Info.Kind == KindFD || a.Info.Kind == KindPID) {
		return uint64(a.Int())
	}
	b := a.Raw
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	case 8:
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// IsScalar reports whether the argument is a number (not a string, list,
// buffer or address).
func (a Arg) IsScalar() bool {
	if a.Info == nil {
		return false
	}
	switch a.Info.Kind {
	case KindPath, KindString, KindBytes, KindList, KindSockAddr, KindTuple:
		return false
	}
	return true
}

// List iterates a KindList argument (argv, env, cgroups).
func (a Arg) List() ListIter { return ListIter{rest: a.Raw} }

// ListIter walks the NUL-separated items of a list argument.
type ListIter struct{ rest []byte }

// Next returns the next item, or false at the end.
func (it *ListIter) Next() ([]byte, bool) {
	if len(it.rest) == 0 {
		return nil, false
	}
	for i, c := range it.rest {
		if c == 0 {
			item := it.rest[:i:i]
			it.rest = it.rest[i+1:]
			return item, true
		}
	}
	item := it.rest
	it.rest = nil
	return item, true
}

func cstr(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i:i]
		}
	}
	return b
}
