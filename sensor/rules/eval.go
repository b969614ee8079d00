package rules

import (
	"encoding/base64"
	"strings"
	"unsafe"

	"github.com/sakersec/saker/sensor/fields"
)

// slotState is the per-engine value of one slot, cached for the current
// event (gen).
type slotState struct {
	gen  uint64
	spec *slotSpec
	ok   bool
	v    fields.Value
	buf  []byte
	offs []int
}

// evalCtx is the mutable state of evaluation: one per Engine, so one per
// goroutine. Slot values are extracted at most once per event.
type evalCtx struct {
	gen   uint64
	prog  *program
	slots []slotState
	memo  []memoState
}

// memoState is the value of a shared subexpression for event gen.
type memoState struct {
	gen uint64
	v   bool
}

func newEvalCtx(p *program) *evalCtx {
	c := &evalCtx{prog: p, slots: make([]slotState, len(p.slots)), memo: make([]memoState, len(p.memos))}
	for i := range c.slots {
		c.slots[i].spec = p.slots[i]
	}
	return c
}

// get returns the value of slot i for event e, extracting it on first use
// in this event. It is small enough to inline; fill does the work.
func (c *evalCtx) get(e fields.Event, i int) (*fields.Value, bool) {
	s := c.slot(e, i)
	return &s.v, s.ok
}

func (c *evalCtx) slot(e fields.Event, i int) *slotState {
	s := &c.slots[i]
	if s.gen != c.gen {
		c.fill(e, s)
	}
	return s
}

func (c *evalCtx) fill(e fields.Event, s *slotState) {
	s.gen = c.gen
	sp := s.spec
	switch {
	case sp.inner >= 0:
		in, ok := c.get(e, sp.inner)
		s.ok = ok && transform(sp, c.prog.slots[sp.inner], in, s)
	case sp.ext != nil:
		s.ok = sp.ext.Extract(e, &s.v)
	default:
		s.ok = false
	}
}

// bytesString views b as a string without copying; the string is only
// valid until b is next written.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// transform applies a transformer to in, writing into s. Results live in
// s.buf, reused across events, so no allocation happens once the buffer
// has grown.
func transform(sp, inSpec *slotSpec, in *fields.Value, s *slotState) bool {
	if sp.transform == "len" {
		switch {
		case inSpec.multi != fields.Single:
			s.v.Uint = uint64(len(in.List))
		case inSpec.typ == fields.TypeBytes:
			s.v.Uint = uint64(len(in.Bytes))
		default:
			s.v.Uint = uint64(len(in.Str))
		}
		return true
	}
	if inSpec.multi != fields.Single {
		// Transform every element into one buffer, then slice it, so that
		// growing the buffer cannot invalidate earlier elements.
		s.buf, s.offs = s.buf[:0], s.offs[:0]
		for _, x := range in.List {
			var ok bool
			s.buf, ok = apply(sp.transform, s.buf, x)
			if !ok {
				return false
			}
			s.offs = append(s.offs, len(s.buf))
		}
		s.v.List = s.v.List[:0]
		start := 0
		for _, end := range s.offs {
			s.v.List = append(s.v.List, bytesString(s.buf[start:end]))
			start = end
		}
		return true
	}
	src := in.Str
	if inSpec.typ == fields.TypeBytes {
		src = bytesString(in.Bytes)
	}
	if sp.transform == "basename" {
		if i := strings.LastIndexByte(src, '/'); i >= 0 {
			src = src[i+1:]
		}
		s.v.Str = src
		return true
	}
	var ok bool
	s.buf, ok = apply(sp.transform, s.buf[:0], src)
	s.v.Str = bytesString(s.buf)
	return ok
}

func apply(t string, dst []byte, s string) ([]byte, bool) {
	switch t {
	case "tolower":
		for i := 0; i < len(s); i++ {
			dst = append(dst, lowerASCII(s[i]))
		}
	case "toupper":
		for i := 0; i < len(s); i++ {
			dst = append(dst, upperASCII(s[i]))
		}
	case "basename":
		if i := strings.LastIndexByte(s, '/'); i >= 0 {
			s = s[i+1:]
		}
		dst = append(dst, s...)
	case "b64":
		n := base64.StdEncoding.DecodedLen(len(s))
		start := len(dst)
		for cap(dst)-start < n {
			dst = append(dst[:cap(dst)], 0)
		}
		dst = dst[:start+n]
		w, err := base64.StdEncoding.Decode(dst[start:], unsafe.Slice(unsafe.StringData(s), len(s)))
		if err != nil {
			return dst[:start], false
		}
		dst = dst[:start+w]
	}
	return dst, true
}
