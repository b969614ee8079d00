package fields

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// Type is the type of a field's value, which decides how operands are parsed
// and which operators apply.
type Type uint8

// Field types. The comments name the [Value] slot an extractor fills.
const (
	TypeString  Type = iota // Str
	TypeInt                 // Int: signed integers (fd.num, evt.rawres, user.loginuid)
	TypeUint                // Uint: unsigned integers (proc.pid, user.uid)
	TypeBool                // Bool
	TypeIPAddr              // Addr: an IPv4 or IPv6 address; operands may be addresses or networks
	TypeIPNet               // Addr: the address to test; operands are networks ("10.0.0.0/8")
	TypePort                // Uint: a TCP/UDP port
	TypeRelTime             // Int: a duration in nanoseconds
	TypeAbsTime             // Uint: nanoseconds since the Unix epoch
	TypeBytes               // Bytes: a raw buffer (evt.buffer)
)

var typeNames = [...]string{"string", "int64", "uint64", "bool", "ipaddr", "ipnet", "port", "reltime", "abstime", "bytes"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Numeric reports whether values of t compare as numbers.
func (t Type) Numeric() bool {
	switch t {
	case TypeInt, TypeUint, TypePort, TypeRelTime, TypeAbsTime:
		return true
	}
	return false
}

// ArgKind says whether and how a field takes an argument.
type ArgKind uint8

// Argument kinds.
const (
	// ArgNone: the field takes no argument.
	ArgNone ArgKind = iota
	// ArgIndex: a non-negative integer in brackets, proc.aname[2].
	ArgIndex
	// ArgKey: a key in brackets, evt.arg[flags], jevt.value[/stage], or
	// after a dot, evt.arg.flags.
	ArgKey
)

// Multi says how a field with several values compares.
type Multi uint8

// Multi-value kinds.
const (
	// Single: one value per event.
	Single Multi = iota
	// List: a list value (Value.List). `in` needs every element in the set,
	// `intersects` needs one, other operators need one element to match.
	List
	// AnyOf: without an argument the field tests every value in turn and
	// matches when one does (proc.aname tests every ancestor). Values come
	// in Value.List. With an argument the field has a single value.
	AnyOf
)

// Field declares one field of a source.
type Field struct {
	// Name as rules write it, without argument: "proc.aname", "evt.arg".
	Name string
	Type Type
	Arg  ArgKind
	// ArgRequired: the field cannot be used without its argument.
	ArgRequired bool
	Multi       Multi
	// Desc is a one-line description for `sakerctl rules fields`.
	Desc string
}

// Ref is a field reference resolved against a source: the declared field
// and the argument the rule gave it.
type Ref struct {
	Field *Field
	// HasArg reports whether an argument was given; Arg holds it as written
	// and Index its value for ArgIndex fields.
	HasArg bool
	Arg    string
	Index  int
}

// String writes the reference as rules spell it, with a bracketed argument.
func (r Ref) String() string {
	if !r.HasArg {
		return r.Field.Name
	}
	return r.Field.Name + "[" + r.Arg + "]"
}

// Multi returns how the referenced value compares: AnyOf fields given an
// argument are single-valued; List fields stay lists with an index (the
// extractor returns the selected element as a one-element list).
func (r Ref) Multi() Multi {
	if r.Field.Multi == AnyOf && r.HasArg {
		return Single
	}
	return r.Field.Multi
}

// Value is the reusable slot an [Extractor] fills. Only the member matching
// the field's [Type] (or List for multi-valued references) is meaningful.
// The engine owns one Value per field reference and reuses it for every
// event, so extractors must overwrite, never accumulate.
type Value struct {
	Str   string
	Bytes []byte
	Int   int64
	Uint  uint64
	Bool  bool
	Addr  netip.Addr
	List  []string
}

// Event is one event as the engine sees it. Implement it on a pointer type
// so passing events as interfaces does not allocate.
type Event interface {
	// EventType returns the index of the event's type in the source's
	// EventTypes, or -1 when the source has no event types or the type is
	// unknown.
	EventType() int
}

// Extractor reads one compiled field reference from events.
type Extractor interface {
	// Extract fills v with the field's value for evt and reports whether
	// the field has a value. It must not allocate on the steady path.
	Extract(evt Event, v *Value) bool
}

// ExtractorFunc adapts a function to [Extractor].
type ExtractorFunc func(evt Event, v *Value) bool

// Extract calls f.
func (f ExtractorFunc) Extract(evt Event, v *Value) bool { return f(evt, v) }

// ExtractorFactory compiles field references into extractors, once per
// reference when rules are compiled.
type ExtractorFactory interface {
	NewExtractor(ref Ref) (Extractor, error)
}

// Errors returned by [Source.Resolve]; wrapped with the field text.
var (
	ErrUnknownField = errors.New("unknown field")
	ErrBadArg       = errors.New("bad field argument")
)

// Source is an event source: its name, fields and event types. A Source is
// immutable once built with [NewSource] and safe for concurrent use.
type Source struct {
	name       string
	fields     []Field
	byName     map[string]*Field
	eventTypes []string
	typeIndex  map[string]int
	extractors ExtractorFactory
}

// SourceOptions describe a source to [NewSource].
type SourceOptions struct {
	// Name as rules write it in `source:`.
	Name   string
	Fields []Field
	// EventTypes are the names `evt.type` compares against, in the order
	// Event.EventType indexes them. Nil for sources without event types.
	EventTypes []string
	// Extractors compiles field references; nil means declarations only.
	Extractors ExtractorFactory
}

// NewSource builds a Source, checking that field names are unique.
func NewSource(o SourceOptions) (*Source, error) {
	s := &Source{
		name:       o.Name,
		fields:     append([]Field(nil), o.Fields...),
		byName:     make(map[string]*Field, len(o.Fields)),
		eventTypes: append([]string(nil), o.EventTypes...),
		typeIndex:  make(map[string]int, len(o.EventTypes)),
		extractors: o.Extractors,
	}
	for i := range s.fields {
		f := &s.fields[i]
		if _, dup := s.byName[f.Name]; dup {
			return nil, fmt.Errorf("source %s: field %s declared twice", o.Name, f.Name)
		}
		s.byName[f.Name] = f
	}
	for i, t := range s.eventTypes {
		if _, dup := s.typeIndex[t]; !dup {
			s.typeIndex[t] = i
		}
	}
	return s, nil
}

// MustSource is [NewSource] for static tables; it panics on a bad table.
func MustSource(o SourceOptions) *Source {
	s, err := NewSource(o)
	if err != nil {
		panic(err)
	}
	return s
}

// Name returns the source name.
func (s *Source) Name() string { return s.name }

// Fields returns the declared fields sorted by name.
func (s *Source) Fields() []Field {
	out := append([]Field(nil), s.fields...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Field returns the declared field with exactly this name.
func (s *Source) Field(name string) (*Field, bool) {
	f, ok := s.byName[name]
	return f, ok
}

// EventTypes returns the event type names, in index order.
func (s *Source) EventTypes() []string { return s.eventTypes }

// EventTypeIndex returns the index of an event type name.
func (s *Source) EventTypeIndex(name string) (int, bool) {
	i, ok := s.typeIndex[name]
	return i, ok
}

// Extractors returns the source's extractor factory, nil when the source is
// declarations only.
func (s *Source) Extractors() ExtractorFactory { return s.extractors }

// WithExtractors returns a copy of s that extracts with f. The syscall and
// audit sources use it to attach extraction to the declared tables.
func (s *Source) WithExtractors(f ExtractorFactory) *Source {
	c := *s
	c.extractors = f
	return &c
}

// Resolve parses a field reference as rules write it ("proc.name",
// "proc.aname[2]", "evt.arg.flags", "evt.arg[0]", "jevt.value[/stage]")
// and checks it against the declared fields.
func (s *Source) Resolve(text string) (Ref, error) {
	name, arg, hasArg := text, "", false
	if i := strings.IndexByte(text, '['); i >= 0 {
		if !strings.HasSuffix(text, "]") {
			return Ref{}, fmt.Errorf("%w %q: unterminated [", ErrBadArg, text)
		}
		name, arg, hasArg = text[:i], text[i+1:len(text)-1], true
	}
	f, ok := s.byName[name]
	if !ok && !hasArg {
		// evt.arg.flags: the longest declared prefix taking a key.
		for i := strings.LastIndexByte(name, '.'); i > 0; i = strings.LastIndexByte(name[:i], '.') {
			if pf, ok2 := s.byName[name[:i]]; ok2 && pf.Arg == ArgKey {
				f, ok, arg, hasArg = pf, true, name[i+1:], true
				break
			}
		}
	}
	if !ok {
		if near := s.closest(name); near != "" {
			return Ref{}, fmt.Errorf("%w %q in source %s (did you mean %s?)", ErrUnknownField, text, s.name, near)
		}
		return Ref{}, fmt.Errorf("%w %q in source %s", ErrUnknownField, text, s.name)
	}
	r := Ref{Field: f, HasArg: hasArg, Arg: arg}
	switch {
	case hasArg && f.Arg == ArgNone:
		return Ref{}, fmt.Errorf("%w: field %s takes no argument", ErrBadArg, f.Name)
	case !hasArg && f.ArgRequired:
		return Ref{}, fmt.Errorf("%w: field %s needs an argument, e.g. %s[...]", ErrBadArg, f.Name, f.Name)
	case hasArg && arg == "":
		return Ref{}, fmt.Errorf("%w: field %s has an empty argument", ErrBadArg, f.Name)
	case hasArg && f.Arg == ArgIndex:
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			return Ref{}, fmt.Errorf("%w: field %s wants a non-negative index, got %q", ErrBadArg, f.Name, arg)
		}
		r.Index = n
	}
	return r, nil
}

// Registry holds the sources rules can name. The zero value is empty and
// ready to use; build it before loading rules and do not change it after.
type Registry struct {
	sources map[string]*Source
	order   []string
}

// NewRegistry returns a registry holding srcs.
func NewRegistry(srcs ...*Source) *Registry {
	r := &Registry{}
	for _, s := range srcs {
		r.Add(s)
	}
	return r
}

// Add registers s, replacing a source of the same name.
func (r *Registry) Add(s *Source) {
	if r.sources == nil {
		r.sources = map[string]*Source{}
	}
	if _, ok := r.sources[s.name]; !ok {
		r.order = append(r.order, s.name)
	}
	r.sources[s.name] = s
}

// Source returns the source with this name.
func (r *Registry) Source(name string) (*Source, bool) {
	if r == nil {
		return nil, false
	}
	s, ok := r.sources[name]
	return s, ok
}

// Names returns the registered source names in registration order.
func (r *Registry) Names() []string {
	if r == nil {
		return nil
	}
	return append([]string(nil), r.order...)
}

// Default returns a registry with the declared syscall and k8s_audit
// sources, without extraction: enough to load and validate rules.
func Default() *Registry {
	return NewRegistry(Syscall(), K8sAudit())
}

// closest returns the declared field nearest to name by edit distance, or
// "" when none is close enough to be a likely typo.
func (s *Source) closest(name string) string {
	best, bestD := "", len(name)/3+1
	for i := range s.fields {
		if d := editDistance(name, s.fields[i].Name, bestD); d < bestD {
			best, bestD = s.fields[i].Name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, or max when it is
// at least max.
func editDistance(a, b string, max int) int {
	if d := len(a) - len(b); d >= max || -d >= max {
		return max
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= max {
			return max
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], max)
}
