package jsontree

import (
	"errors"
	"strconv"
	"strings"
)

// ErrPointer is wrapped by errors from [ParsePointer].
var ErrPointer = errors.New("invalid JSON pointer")

// Pointer is a compiled RFC 6901 JSON pointer ("/requestObject/spec/0").
// Compile it once and resolve it against many documents.
type Pointer struct {
	tokens []string
	// index[i] is tokens[i] as an array index, or -1 when it is not one.
	index []int
}

// ParsePointer compiles a JSON pointer. "" designates the whole document;
// otherwise the pointer must start with '/'.
func ParsePointer(s string) (Pointer, error) {
	if s == "" {
		return Pointer{}, nil
	}
	if s[0] != '/' {
		return Pointer{}, errors.Join(ErrPointer, errors.New(strconv.Quote(s)+" must start with '/'"))
	}
	parts := strings.Split(s[1:], "/")
	p := Pointer{tokens: make([]string, len(parts)), index: make([]int, len(parts))}
	for i, t := range parts {
		if strings.Contains(t, "~") {
			var b strings.Builder
			for j := 0; j < len(t); j++ {
				if t[j] != '~' {
					b.WriteByte(t[j])
					continue
				}
				if j+1 >= len(t) || (t[j+1] != '0' && t[j+1] != '1') {
					return Pointer{}, errors.Join(ErrPointer, errors.New(strconv.Quote(s)+": '~' must be followed by 0 or 1"))
				}
				if t[j+1] == '0' {
					b.WriteByte('~')
				} else {
					b.WriteByte('/')
				}
				j++
			}
			t = b.String()
		}
		p.tokens[i] = t
		p.index[i] = -1
		if n, err := strconv.Atoi(t); err == nil && n >= 0 && (t == "0" || t[0] != '0') && t[0] != '+' {
			p.index[i] = n
		}
	}
	return p, nil
}

// Resolve returns the value p designates inside v, a missing Value when
// there is none.
func (p Pointer) Resolve(v Value) Value {
	for i, t := range p.tokens {
		switch v.Kind() {
		case Object:
			v = v.Get(t)
		case Array:
			if p.index[i] < 0 {
				return Value{}
			}
			v = v.Index(p.index[i])
		default:
			return Value{}
		}
	}
	return v
}
