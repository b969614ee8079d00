package jsontree

import "strings"

// Value is a position in a [Doc]. The zero Value is missing: its Kind is
// Invalid and every lookup on it returns another missing Value, so lookups
// chain without checks: v.Get("a").Get("b").Index(0).
type Value struct {
	d *Doc
	i int32
}

func (v Value) nd() *node { return &v.d.nodes[v.i] }

// Exists reports whether the value is present.
func (v Value) Exists() bool { return v.d != nil }

// Kind returns the JSON type, Invalid when missing.
func (v Value) Kind() Kind {
	if v.d == nil {
		return Invalid
	}
	return v.nd().kind
}

// Key returns the member name when v is an object member, "" otherwise.
func (v Value) Key() string {
	if v.d == nil {
		return ""
	}
	n := v.nd()
	return v.d.text(n.key, n.flags&flagKeyEsc != 0)
}

// Len returns the number of elements or members of an array or object.
func (v Value) Len() int {
	if v.d == nil {
		return 0
	}
	return int(v.nd().n)
}

// Str returns the decoded string of a String value and "" for any other
// kind.
func (v Value) Str() string {
	if v.d == nil || v.nd().kind != String {
		return ""
	}
	n := v.nd()
	return v.d.text(n.str, n.flags&flagStrEsc != 0)
}

// Text returns the value as Falco's JSON extractors present it: a string's
// decoded contents, and the compact JSON text of any other value ("201",
// "true", `{"a":1}`). It allocates only for containers whose input text
// had insignificant whitespace.
func (v Value) Text() string {
	if v.d == nil {
		return ""
	}
	n := v.nd()
	t := v.d.text(n.str, n.flags&flagStrEsc != 0)
	if n.flags&flagWS != 0 {
		return compact(t)
	}
	return t
}

// Raw returns the value's JSON text as it appeared in the input; for a
// String that is the decoded contents (use Text for consistency).
func (v Value) Raw() string {
	if v.d == nil {
		return ""
	}
	n := v.nd()
	return v.d.text(n.str, n.flags&flagStrEsc != 0)
}

// Bool reports whether v is the JSON literal true.
func (v Value) Bool() bool {
	return v.d != nil && v.nd().kind == Bool && v.d.src[v.nd().str.off] == 't'
}

// First returns the first element or member of a container.
func (v Value) First() Value {
	if v.d == nil || v.nd().first < 0 {
		return Value{}
	}
	return Value{d: v.d, i: v.nd().first}
}

// Next returns the following sibling inside the parent container.
func (v Value) Next() Value {
	if v.d == nil || v.nd().next < 0 {
		return Value{}
	}
	return Value{d: v.d, i: v.nd().next}
}

// Get returns the member named key of an object. When a key repeats, the
// last one wins, as with encoding/json.
func (v Value) Get(key string) Value {
	if v.d == nil || v.nd().kind != Object {
		return Value{}
	}
	var found Value
	d := v.d
	for c := v.nd().first; c >= 0; c = d.nodes[c].next {
		n := &d.nodes[c]
		if n.key.n != int32(len(key)) {
			continue
		}
		if d.text(n.key, n.flags&flagKeyEsc != 0) == key {
			found = Value{d: d, i: c}
		}
	}
	return found
}

// Path follows object keys from v: v.Path("a", "b") is v.Get("a").Get("b").
func (v Value) Path(keys ...string) Value {
	for _, k := range keys {
		v = v.Get(k)
	}
	return v
}

// Index returns element i of an array.
func (v Value) Index(i int) Value {
	if v.d == nil || v.nd().kind != Array || i < 0 {
		return Value{}
	}
	c := v.First()
	for ; i > 0 && c.d != nil; i-- {
		c = c.Next()
	}
	return c
}

// compact removes insignificant whitespace from valid JSON text.
func compact(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if in {
			b.WriteByte(c)
			switch c {
			case '\\':
				if i+1 < len(s) {
					i++
					b.WriteByte(s[i])
				}
			case '"':
				in = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			in = true
		}
		b.WriteByte(c)
	}
	return b.String()
}
