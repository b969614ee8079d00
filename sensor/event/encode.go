package event

import (
	"encoding/binary"
	"fmt"
)

// Encoder builds an argument area in the layout [Event.SetArgs] decodes.
// The kernel driver writes the same layout; tests and tools use Encoder to
// craft events.
type Encoder struct{ buf []byte }

// Reset empties the encoder, keeping its buffer.
func (enc *Encoder) Reset() { enc.buf = enc.buf[:0] }

// Bytes returns the encoded area (shared with the encoder until Reset).
func (enc *Encoder) Bytes() []byte { return enc.buf }

// Raw appends one argument with the given encoded value.
func (enc *Encoder) Raw(v []byte) *Encoder {
	enc.buf = binary.LittleEndian.AppendUint16(enc.buf, uint16(len(v)))
	enc.buf = append(enc.buf, v...)
	return enc
}

// Int appends a scalar argument as 8 little-endian bytes.
func (enc *Encoder) Int(v int64) *Encoder {
	enc.buf = binary.LittleEndian.AppendUint16(enc.buf, 8)
	enc.buf = binary.LittleEndian.AppendUint64(enc.buf, uint64(v))
	return enc
}

// Str appends a string, path or buffer argument.
func (enc *Encoder) Str(s string) *Encoder {
	enc.buf = binary.LittleEndian.AppendUint16(enc.buf, uint16(len(s)))
	enc.buf = append(enc.buf, s...)
	return enc
}

// List appends a list argument (items NUL-separated, each NUL-terminated
// as the kernel copies argv).
func (enc *Encoder) List(items ...string) *Encoder {
	n := 0
	for _, it := range items {
		n += len(it) + 1
	}
	enc.buf = binary.LittleEndian.AppendUint16(enc.buf, uint16(n))
	for _, it := range items {
		enc.buf = append(enc.buf, it...)
		enc.buf = append(enc.buf, 0)
	}
	return enc
}

// SockAddr appends a socket address argument.
func (enc *Encoder) SockAddr(s SockAddr) *Encoder {
	return enc.Raw(AppendSockAddr(nil, s))
}

// Tuple appends a tuple argument.
func (enc *Encoder) Tuple(t Tuple) *Encoder {
	return enc.Raw(AppendTuple(nil, t))
}

// Args appends the record arguments of an event of type typ (those its
// schema takes from the argument area), in schema order, each from vals by
// name: string, []string (lists), int64, int, [Tuple] or [SockAddr]. An
// absent argument is empty (strings, paths, lists, tuples, addresses) or
// zero (numbers). A value of another Go type is an error naming the
// argument.
func (enc *Encoder) Args(typ Type, vals map[string]any) error {
	for _, a := range Schema(typ) {
		if a.Src != SrcRecord {
			continue
		}
		switch v := vals[a.Name].(type) {
		case string:
			enc.Str(v)
		case []string:
			enc.List(v...)
		case int64:
			enc.Int(v)
		case int:
			enc.Int(int64(v))
		case Tuple:
			enc.Tuple(v)
		case SockAddr:
			enc.SockAddr(v)
		case nil:
			switch a.Kind {
			case KindPath, KindString, KindBytes, KindList, KindTuple, KindSockAddr:
				enc.Raw(nil)
			default:
				enc.Int(0)
			}
		default:
			return fmt.Errorf("%s argument %s: unsupported value type %T", typ, a.Name, v)
		}
	}
	return nil
}
