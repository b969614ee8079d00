package runner

import (
	"strconv"
	"strings"

	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/config"
	"github.com/sakersec/saker/sensor/fields"
)

// SuggestedOutput is what append_output's suggested_output adds to syscall
// alerts: the container and pod a process runs in, as the fields Falco's
// container plugin suggests. The k8s_audit source suggests nothing.
const SuggestedOutput = "container_id=%container.id container_image=%container.image.repository " +
	"container_image_tag=%container.image.tag container_name=%container.name k8s_ns=%k8s.ns.name k8s_pod_name=%k8s.pod.name"

// suggestedOutput is suggested_output's text per source.
var suggestedOutput = map[string]string{fields.SyscallSourceName: SuggestedOutput}

// appender applies falco.yaml's append_output entries to alerts.
type appender struct {
	entries []appendEntry
}

type appendEntry struct {
	match  config.AppendMatch
	text   []textPart // extra_output
	fields []extraField
}

type textPart struct {
	lit   string
	field *extraField
}

type extraField struct {
	name  string
	typ   fields.Type
	multi fields.Multi
	x     fields.Extractor
	// constant is set for extra_fields given as name: value.
	constant *string
	v        fields.Value
}

// newAppender compiles the entries that can apply to src's alerts: those
// whose match names no source or src, as Falco appends to a rule only the
// entries of its source. Fields src does not know are reported as errors
// naming the entry.
func newAppender(entries []config.AppendOutput, src *fields.Source) (*appender, error) {
	a := &appender{}
	for i, e := range entries {
		if e.Match.Source != "" && e.Match.Source != src.Name() {
			continue
		}
		ae := appendEntry{match: e.Match}
		out := e.ExtraOutput
		if e.SuggestedOutput && suggestedOutput[src.Name()] != "" {
			out = strings.TrimSpace(out + " " + suggestedOutput[src.Name()])
		}
		parts, err := compileText(out, src)
		if err != nil {
			return nil, errAt(i, src, e, err)
		}
		ae.text = parts
		for _, p := range parts {
			if p.field != nil {
				ae.fields = append(ae.fields, *p.field)
			}
		}
		for _, f := range e.ExtraFields {
			if f.Value != "" {
				v := f.Value
				ae.fields = append(ae.fields, extraField{name: f.Name, constant: &v})
				continue
			}
			ef, err := compileField(f.Name, src)
			if err != nil {
				return nil, errAt(i, src, e, err)
			}
			ae.fields = append(ae.fields, *ef)
		}
		if len(ae.text) > 0 || len(ae.fields) > 0 {
			a.entries = append(a.entries, ae)
		}
	}
	return a, nil
}

type entryError struct {
	i   int
	err error
	// hint says what to do when an entry for every source names a field
	// of one source only.
	hint string
}

func (e *entryError) Error() string {
	return "append_output[" + strconv.Itoa(e.i) + "]: " + e.err.Error() + e.hint
}
func (e *entryError) Unwrap() error { return e.err }

func errAt(i int, src *fields.Source, e config.AppendOutput, err error) error {
	ee := &entryError{i: i, err: err}
	if e.Match.Source == "" {
		ee.hint = " (the entry applies to every source, " + src.Name() + " included; limit it with match: {source: ...})"
	}
	return ee
}

func compileField(name string, src *fields.Source) (*extraField, error) {
	ref, err := src.Resolve(name)
	if err != nil {
		return nil, err
	}
	fac := src.Extractors()
	if fac == nil {
		return nil, fields.ErrUnknownField
	}
	x, err := fac.NewExtractor(ref)
	if err != nil {
		return nil, err
	}
	return &extraField{name: name, typ: ref.Field.Type, multi: ref.Multi(), x: x}, nil
}

// compileText parses %field and %(field) references.
func compileText(s string, src *fields.Source) ([]textPart, error) {
	var parts []textPart
	var lit strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '%' || i+1 >= len(s) {
			lit.WriteByte(s[i])
			i++
			continue
		}
		var name string
		end := i + 1
		if s[end] == '(' {
			c := strings.IndexByte(s[end:], ')')
			if c < 0 {
				lit.WriteByte(s[i])
				i++
				continue
			}
			name, end = s[end+1:end+c], end+c+1
		} else {
			j := end
			for j < len(s) && (isFieldChar(s[j]) || s[j] == '[') {
				if s[j] == '[' {
					if k := strings.IndexByte(s[j:], ']'); k >= 0 {
						j += k + 1
					}
					break
				}
				j++
			}
			name = strings.TrimRight(s[end:j], ".")
			end += len(name)
		}
		if name == "" {
			lit.WriteByte(s[i])
			i++
			continue
		}
		f, err := compileField(name, src)
		if err != nil {
			return nil, err
		}
		if lit.Len() > 0 {
			parts = append(parts, textPart{lit: lit.String()})
			lit.Reset()
		}
		parts = append(parts, textPart{field: f})
		i = end
	}
	if lit.Len() > 0 {
		parts = append(parts, textPart{lit: lit.String()})
	}
	return parts, nil
}

func isFieldChar(c byte) bool {
	return c == '_' || c == '.' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func (m *appendEntry) matches(a *alert.Alert) bool {
	if m.match.Source != "" && m.match.Source != a.Source {
		return false
	}
	if m.match.Rule != "" && m.match.Rule != a.Rule {
		return false
	}
	if len(m.match.Tags) > 0 {
		for _, want := range m.match.Tags {
			found := false
			for _, t := range a.Tags {
				if t == want {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
	}
	return true
}

// apply extends a with the matching entries' output and fields, read from
// evt (the event that raised a, still current).
func (ap *appender) apply(a *alert.Alert, evt fields.Event) {
	for i := range ap.entries {
		e := &ap.entries[i]
		if !e.matches(a) {
			continue
		}
		if len(e.text) > 0 {
			var b strings.Builder
			b.WriteString(a.Output)
			b.WriteByte(' ')
			for _, p := range e.text {
				if p.field == nil {
					b.WriteString(p.lit)
					continue
				}
				s, _ := p.field.extract(evt)
				b.WriteString(s)
			}
			a.Output = b.String()
		}
		for j := range e.fields {
			f := &e.fields[j]
			if hasField(a, f.name) {
				continue
			}
			_, v := f.extract(evt)
			a.OutputFields = append(a.OutputFields, alert.Field{Name: f.name, Value: v})
		}
	}
}

func hasField(a *alert.Alert, name string) bool {
	for _, f := range a.OutputFields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// extract returns the text and JSON value of the field, "<NA>" and nil
// when it has none.
func (f *extraField) extract(evt fields.Event) (string, any) {
	if f.constant != nil {
		return *f.constant, *f.constant
	}
	if !f.x.Extract(evt, &f.v) {
		return "<NA>", nil
	}
	v := &f.v
	if f.multi != fields.Single {
		s := "(" + strings.Join(v.List, ",") + ")"
		return s, s
	}
	switch f.typ {
	case fields.TypeString:
		s := strings.Clone(v.Str)
		return s, s
	case fields.TypeInt, fields.TypeRelTime:
		return strconv.FormatInt(v.Int, 10), v.Int
	case fields.TypeUint, fields.TypePort, fields.TypeAbsTime:
		return strconv.FormatUint(v.Uint, 10), v.Uint
	case fields.TypeBool:
		return strconv.FormatBool(v.Bool), v.Bool
	case fields.TypeIPAddr, fields.TypeIPNet:
		s := v.Addr.String()
		return s, s
	}
	return "<NA>", nil
}
