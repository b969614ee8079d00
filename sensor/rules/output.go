package rules

import (
	"strconv"
	"strings"

	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/rules/internal/condition"
)

// outputFormat is a compiled rule output: literal text and field slots.
type outputFormat struct {
	parts  []outPart
	fields []outField // unique fields in order of first appearance
}

type outPart struct {
	lit   string
	field int // index into fields, -1 for literal text
}

type outField struct {
	name string
	slot int
}

// outputError is an output format error at a byte offset of the output.
type outputError struct {
	off int
	msg string
}

func (e *outputError) Error() string { return e.msg }

// compileOutput parses `%field` and `%(field)` references. A % not followed
// by a field name stays literal.
func (cc *compiler) compileOutput(s string) (*outputFormat, error) {
	of := &outputFormat{}
	seen := map[string]int{}
	lit := strings.Builder{}
	flush := func() {
		if lit.Len() > 0 {
			of.parts = append(of.parts, outPart{lit: lit.String(), field: -1})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		if s[i] != '%' {
			lit.WriteByte(s[i])
			i++
			continue
		}
		name, end := "", i+1
		if end < len(s) && s[end] == '(' {
			close := strings.IndexByte(s[end:], ')')
			if close < 0 {
				return nil, &outputError{off: i, msg: "unterminated %( in output"}
			}
			name, end = strings.TrimSpace(s[end+1:end+close]), end+close+1
		} else {
			j := end
			for j < len(s) && (isFieldChar(s[j]) || s[j] == '[') {
				if s[j] == '[' {
					k := strings.IndexByte(s[j:], ']')
					if k < 0 {
						break
					}
					j += k + 1
					break
				}
				j++
			}
			name = strings.TrimRight(s[end:j], ".")
			end += len(name)
		}
		if !condition.IsFieldName(name) {
			lit.WriteByte('%')
			i++
			continue
		}
		idx, ok := seen[name]
		if !ok {
			si, err := cc.slot(&condition.FieldExpr{Name: name})
			if err != nil {
				msg := err.Error()
				return nil, &outputError{off: i, msg: "output: " + msg}
			}
			idx = len(of.fields)
			seen[name] = idx
			of.fields = append(of.fields, outField{name: name, slot: si})
		}
		flush()
		of.parts = append(of.parts, outPart{field: idx})
		i = end
	}
	flush()
	return of, nil
}

func isFieldChar(c byte) bool {
	return c == '_' || c == '.' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// format renders the output and the output fields of an event. It
// allocates: it runs only when a rule matches.
func (of *outputFormat) format(c *evalCtx, e fields.Event) (string, []alert.Field) {
	texts := make([]string, len(of.fields))
	afs := make([]alert.Field, len(of.fields))
	for i, f := range of.fields {
		v, ok := c.get(e, f.slot)
		texts[i], afs[i] = formatValue(c.prog.slots[f.slot], v, ok)
		afs[i].Name = f.name
	}
	var b strings.Builder
	for _, p := range of.parts {
		if p.field < 0 {
			b.WriteString(p.lit)
		} else {
			b.WriteString(texts[p.field])
		}
	}
	return b.String(), afs
}

// formatValue returns the text Falco prints for a value and its JSON
// output field (nil when missing).
func formatValue(sp *slotSpec, v *fields.Value, ok bool) (string, alert.Field) {
	if !ok {
		return "<NA>", alert.Field{}
	}
	if sp.multi != fields.Single {
		s := "(" + strings.Join(v.List, ",") + ")"
		return s, alert.Field{Value: s}
	}
	switch sp.typ {
	case fields.TypeString:
		s := strings.Clone(v.Str)
		return s, alert.Field{Value: s}
	case fields.TypeBytes:
		b := make([]byte, len(v.Bytes))
		for i, c := range v.Bytes {
			if c < 0x20 || c > 0x7e {
				c = '.'
			}
			b[i] = c
		}
		return string(b), alert.Field{Value: string(b)}
	case fields.TypeInt, fields.TypeRelTime:
		return strconv.FormatInt(v.Int, 10), alert.Field{Value: v.Int}
	case fields.TypeUint, fields.TypePort, fields.TypeAbsTime:
		return strconv.FormatUint(v.Uint, 10), alert.Field{Value: v.Uint}
	case fields.TypeBool:
		return strconv.FormatBool(v.Bool), alert.Field{Value: v.Bool}
	case fields.TypeIPAddr, fields.TypeIPNet:
		if !v.Addr.IsValid() {
			return "<NA>", alert.Field{}
		}
		s := v.Addr.String()
		return s, alert.Field{Value: s}
	}
	return "<NA>", alert.Field{}
}
