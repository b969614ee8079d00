package capture

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/sources/syscall"
)

// DefaultFields are the fields `capture read` prints for each event.
var DefaultFields = []string{"evt.num", "evt.time", "proc.name", "proc.pid", "thread.tid", "evt.type", "evt.res", "evt.args", "fd.name"}

// column is one compiled output field.
type column struct {
	name string
	typ  fields.Type
	list bool
	ex   fields.Extractor
	v    fields.Value
}

// printer renders events as text lines or JSON objects.
type printer struct {
	cols []*column
	json bool
	// def: the columns are DefaultFields, printed in a sysdig-like layout.
	def bool
	buf []byte
}

func newPrinter(names []string, asJSON bool) (*printer, error) {
	src := syscall.Source()
	p := &printer{json: asJSON}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		ref, err := src.Resolve(n)
		if err != nil {
			return nil, fmt.Errorf("--fields: %w (list them with `sakerctl fields list --source syscall`)", err)
		}
		ex, err := src.Extractors().NewExtractor(ref)
		if err != nil {
			return nil, fmt.Errorf("--fields: %s: %w", n, err)
		}
		p.cols = append(p.cols, &column{name: n, typ: ref.Field.Type, list: ref.Multi() != fields.Single, ex: ex})
	}
	if len(p.cols) == 0 {
		return nil, fmt.Errorf("--fields: no field given")
	}
	p.def = p.isDefault()
	return p, nil
}

// value formats a column's value; ok is false when the field has no value.
func (c *column) value(e fields.Event) (any, bool) {
	c.v = fields.Value{List: c.v.List[:0], Bytes: c.v.Bytes[:0]}
	if !c.ex.Extract(e, &c.v) {
		return nil, false
	}
	if c.list {
		return append([]string(nil), c.v.List...), true
	}
	switch c.typ {
	case fields.TypeString:
		return c.v.Str, true
	case fields.TypeInt, fields.TypeRelTime:
		return c.v.Int, true
	case fields.TypeUint, fields.TypePort, fields.TypeAbsTime:
		return c.v.Uint, true
	case fields.TypeBool:
		return c.v.Bool, true
	case fields.TypeIPAddr, fields.TypeIPNet:
		return c.v.Addr.String(), true
	case fields.TypeBytes:
		return string(c.v.Bytes), true
	}
	return nil, false
}

// line renders one event.
func (p *printer) line(e fields.Event) []byte {
	b := p.buf[:0]
	if p.json {
		b = append(b, '{')
		for i, c := range p.cols {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, c.name)
			b = append(b, ':')
			v, ok := c.value(e)
			if !ok {
				b = append(b, "null"...)
				continue
			}
			j, err := json.Marshal(v)
			if err != nil {
				j = []byte("null")
			}
			b = append(b, j...)
		}
		b = append(b, '}', '\n')
		p.buf = b
		return b
	}
	if p.def {
		return p.defaultLine(e)
	}
	for i, c := range p.cols {
		v, ok := c.value(e)
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, c.name...)
		b = append(b, '=')
		b = appendText(b, c, v, ok)
	}
	b = append(b, '\n')
	p.buf = b
	return b
}

func appendText(b []byte, c *column, v any, ok bool) []byte {
	if !ok {
		return append(b, "<NA>"...)
	}
	switch x := v.(type) {
	case string:
		return append(b, x...)
	case []string:
		return append(b, strings.Join(x, ",")...)
	}
	return fmt.Append(b, v)
}

// isDefault reports whether the columns are DefaultFields, printed in a
// sysdig-like layout: num time name (pid:tid) type res args fd.
func (p *printer) isDefault() bool {
	if len(p.cols) != len(DefaultFields) {
		return false
	}
	for i, c := range p.cols {
		if c.name != DefaultFields[i] {
			return false
		}
	}
	return true
}

// defaultLine is the text layout of DefaultFields.
func (p *printer) defaultLine(e fields.Event) []byte {
	vals := make([]string, len(p.cols))
	for i, c := range p.cols {
		v, ok := c.value(e)
		vals[i] = string(appendText(nil, c, v, ok))
	}
	// evt.num evt.time proc.name proc.pid thread.tid evt.type evt.res evt.args fd.name
	s := fmt.Sprintf("%s %s %s (%s:%s) %s res=%s %s", vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6], vals[7])
	if rest, ok := strings.CutPrefix(vals[7], "res="); ok {
		// The arguments start with the numeric result: keep only the
		// named one (SUCCESS, ENOENT).
		_, rest, _ = strings.Cut(rest, " ")
		s = fmt.Sprintf("%s %s %s (%s:%s) %s res=%s %s", vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6], rest)
	}
	if vals[8] != "<NA>" {
		s += " fd.name=" + vals[8]
	}
	p.buf = append(p.buf[:0], s+"\n"...)
	return p.buf
}
