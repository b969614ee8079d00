package jsontree

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the JSON type of a value.
type Kind uint8

// JSON kinds. Invalid marks a missing value (a lookup that found nothing).
const (
	Invalid Kind = iota
	Null
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"invalid", "null", "bool", "number", "string", "array", "object"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// MaxDepth bounds nesting so that hostile input cannot exhaust the stack.
const MaxDepth = 1000

// ErrSyntax is wrapped by every [SyntaxError].
var ErrSyntax = errors.New("invalid JSON")

// SyntaxError says where and why a document failed to parse.
type SyntaxError struct {
	Offset int // byte offset of the problem
	Line   int // 1-based line of Offset
	Column int // 1-based column (in bytes) of Offset
	Msg    string
}

func (e *SyntaxError) Error() string {
	return "invalid JSON at line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Column) +
		" (byte " + strconv.Itoa(e.Offset) + "): " + e.Msg
}

// Unwrap makes errors.Is(err, ErrSyntax) hold.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// span locates a string: src[off:off+n], or strs[off] when the node's
// matching escaped flag is set (the decoded text of an escaped string).
type span struct{ off, n int32 }

const (
	flagWS     = 1 << iota // whitespace inside the value's text: Text compacts
	flagKeyEsc             // key is in Doc.strs
	flagStrEsc             // str is in Doc.strs
)

// node is pointer-free so that the garbage collector never scans the node
// array, which dominates parsing cost otherwise.
type node struct {
	kind  Kind
	flags uint8
	// key is the member name when the node is an object member.
	key span
	// str is the decoded string for String, the literal for Null, Bool and
	// Number, and the raw text for Array and Object.
	str   span
	first int32 // first child, -1 for none
	next  int32 // next sibling, -1 for none
	n     int32 // number of children
}

// Doc is a parsed JSON document.
type Doc struct {
	src   string
	nodes []node
	strs  []string // decoded strings that had escapes
}

func (d *Doc) text(s span, esc bool) string {
	if esc {
		return d.strs[s.off]
	}
	return d.src[s.off : s.off+s.n]
}

// Parse parses exactly one JSON value (surrounded by optional whitespace).
// The Doc keeps src: strings handed out by [Value] point into it.
func Parse(src string) (*Doc, error) {
	// Every value but the root follows a ':' or a ',' (or opens an array):
	// counting them bounds the node count (strings may inflate it a bit)
	// and saves regrowing the array.
	if len(src) > 1<<31-1 {
		return nil, &SyntaxError{Msg: "document larger than 2 GiB"}
	}
	est := 1 + strings.Count(src, ":") + strings.Count(src, ",") + strings.Count(src, "[")
	// Hostile input ("[,,,,") must not buy a huge array before failing;
	// past the cap the array grows as values actually parse.
	est = min(est, len(src)/2+1, 1<<18)
	p := parser{src: src, d: &Doc{src: src, nodes: make([]node, 0, est)}}
	p.skipWS()
	if p.pos >= len(p.src) {
		return nil, p.errf(p.pos, "empty input, want a JSON value")
	}
	if _, err := p.value(0); err != nil {
		return nil, err
	}
	p.skipWS()
	if p.pos < len(p.src) {
		return nil, p.errf(p.pos, "unexpected "+quoteChar(p.src[p.pos])+" after the top-level value")
	}
	return p.d, nil
}

// Root returns the top-level value.
func (d *Doc) Root() Value {
	if d == nil || len(d.nodes) == 0 {
		return Value{}
	}
	return Value{d: d, i: 0}
}

// Source returns the text the Doc was parsed from.
func (d *Doc) Source() string { return d.src }

type parser struct {
	src string
	pos int
	d   *Doc
	// sawWS is set whenever whitespace is skipped; containers read it to
	// know whether their raw text needs compacting.
	sawWS bool
}

func (p *parser) errf(off int, msg string) error {
	line, col := 1, 1
	for i := 0; i < off && i < len(p.src); i++ {
		if p.src[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &SyntaxError{Offset: off, Line: line, Column: col, Msg: msg}
}

func quoteChar(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	return "byte 0x" + strconv.FormatUint(uint64(c), 16)
}

func (p *parser) skipWS() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
			p.sawWS = true
		default:
			return
		}
	}
}

func (p *parser) add(n node) int32 {
	p.d.nodes = append(p.d.nodes, n)
	return int32(len(p.d.nodes) - 1)
}

// value parses one value at p.pos (whitespace already skipped) and returns
// its node index.
func (p *parser) value(depth int) (int32, error) {
	if depth > MaxDepth {
		return -1, p.errf(p.pos, "nesting deeper than "+strconv.Itoa(MaxDepth)+" levels")
	}
	if p.pos >= len(p.src) {
		return -1, p.errf(p.pos, "unexpected end of input, want a value")
	}
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		sp, esc, err := p.str()
		if err != nil {
			return -1, err
		}
		var fl uint8
		if esc {
			fl = flagStrEsc
		}
		return p.add(node{kind: String, flags: fl, str: sp, first: -1, next: -1}), nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.literal("true", Bool)
	case c == 'f':
		return p.literal("false", Bool)
	case c == 'n':
		return p.literal("null", Null)
	default:
		return -1, p.errf(p.pos, "unexpected "+quoteChar(c)+", want a value")
	}
}

func (p *parser) literal(lit string, k Kind) (int32, error) {
	if len(p.src)-p.pos < len(lit) || p.src[p.pos:p.pos+len(lit)] != lit {
		return -1, p.errf(p.pos, "invalid literal, want "+lit)
	}
	sp := span{int32(p.pos), int32(len(lit))}
	p.pos += len(lit)
	return p.add(node{kind: k, str: sp, first: -1, next: -1}), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *parser) number() (int32, error) {
	start := p.pos
	if p.src[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(p.src) && p.src[p.pos] == '0':
		p.pos++
	case p.pos < len(p.src) && isDigit(p.src[p.pos]):
		for p.pos < len(p.src) && isDigit(p.src[p.pos]) {
			p.pos++
		}
	default:
		return -1, p.errf(p.pos, "invalid number, want a digit")
	}
	if p.pos < len(p.src) && p.src[p.pos] == '.' {
		p.pos++
		if p.pos >= len(p.src) || !isDigit(p.src[p.pos]) {
			return -1, p.errf(p.pos, "invalid number, want a digit after '.'")
		}
		for p.pos < len(p.src) && isDigit(p.src[p.pos]) {
			p.pos++
		}
	}
	if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.src) && (p.src[p.pos] == '+' || p.src[p.pos] == '-') {
			p.pos++
		}
		if p.pos >= len(p.src) || !isDigit(p.src[p.pos]) {
			return -1, p.errf(p.pos, "invalid number, want a digit in the exponent")
		}
		for p.pos < len(p.src) && isDigit(p.src[p.pos]) {
			p.pos++
		}
	}
	return p.add(node{kind: Number, str: span{int32(start), int32(p.pos - start)}, first: -1, next: -1}), nil
}

// str parses a string at p.pos and returns where its decoded value is:
// a slice of the input, or (esc) an entry of Doc.strs.
func (p *parser) str() (sp span, esc bool, err error) {
	start := p.pos
	p.pos++ // opening quote
	i := p.pos
	for i < len(p.src) {
		c := p.src[i]
		if c == '"' {
			p.pos = i + 1
			return span{int32(start + 1), int32(i - start - 1)}, false, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return span{}, false, p.errf(i, "control character "+quoteChar(c)+" in string")
		}
		i++
	}
	if i >= len(p.src) {
		return span{}, false, p.errf(start, "unterminated string")
	}
	// Slow path: the string has escapes.
	buf := make([]byte, 0, i-start+16)
	buf = append(buf, p.src[start+1:i]...)
	for i < len(p.src) {
		c := p.src[i]
		switch {
		case c == '"':
			p.pos = i + 1
			p.d.strs = append(p.d.strs, string(buf))
			return span{int32(len(p.d.strs) - 1), int32(len(buf))}, true, nil
		case c < 0x20:
			return span{}, false, p.errf(i, "control character "+quoteChar(c)+" in string")
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(p.src) {
			return span{}, false, p.errf(start, "unterminated string")
		}
		e := p.src[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(p.src, i)
			if !ok {
				return span{}, false, p.errf(i-2, "invalid \\u escape, want 4 hex digits")
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok2 := rune(-1), false
				if i+6 <= len(p.src) && p.src[i] == '\\' && p.src[i+1] == 'u' {
					r2, ok2 = hex4(p.src, i+2)
				}
				if ok2 {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return span{}, false, p.errf(i-2, "invalid escape \\"+string(rune(e)))
		}
	}
	return span{}, false, p.errf(start, "unterminated string")
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

func (p *parser) object(depth int) (int32, error) {
	start := p.pos
	outerWS := p.sawWS
	p.sawWS = false
	self := p.add(node{kind: Object, first: -1, next: -1})
	p.pos++ // {
	p.skipWS()
	last := int32(-1)
	var n int32
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
	} else {
		for {
			if p.pos >= len(p.src) {
				return -1, p.errf(p.pos, "unexpected end of input in object, want a member name")
			}
			if p.src[p.pos] != '"' {
				return -1, p.errf(p.pos, "unexpected "+quoteChar(p.src[p.pos])+" in object, want a quoted member name")
			}
			key, keyEsc, err := p.str()
			if err != nil {
				return -1, err
			}
			p.skipWS()
			if p.pos >= len(p.src) || p.src[p.pos] != ':' {
				return -1, p.errf(p.pos, "want ':' after member name "+strconv.Quote(p.d.text(key, keyEsc)))
			}
			p.pos++
			p.skipWS()
			child, err := p.value(depth + 1)
			if err != nil {
				return -1, err
			}
			p.d.nodes[child].key = key
			if keyEsc {
				p.d.nodes[child].flags |= flagKeyEsc
			}
			if last < 0 {
				p.d.nodes[self].first = child
			} else {
				p.d.nodes[last].next = child
			}
			last = child
			n++
			p.skipWS()
			if p.pos >= len(p.src) {
				return -1, p.errf(p.pos, "unexpected end of input in object, want ',' or '}'")
			}
			if p.src[p.pos] == ',' {
				p.pos++
				p.skipWS()
				continue
			}
			if p.src[p.pos] == '}' {
				p.pos++
				break
			}
			return -1, p.errf(p.pos, "unexpected "+quoteChar(p.src[p.pos])+" in object, want ',' or '}'")
		}
	}
	nd := &p.d.nodes[self]
	nd.str, nd.n = span{int32(start), int32(p.pos - start)}, n
	if p.sawWS {
		nd.flags |= flagWS
	}
	p.sawWS = outerWS || p.sawWS
	return self, nil
}

func (p *parser) array(depth int) (int32, error) {
	start := p.pos
	outerWS := p.sawWS
	p.sawWS = false
	self := p.add(node{kind: Array, first: -1, next: -1})
	p.pos++ // [
	p.skipWS()
	last := int32(-1)
	var n int32
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
	} else {
		for {
			child, err := p.value(depth + 1)
			if err != nil {
				return -1, err
			}
			if last < 0 {
				p.d.nodes[self].first = child
			} else {
				p.d.nodes[last].next = child
			}
			last = child
			n++
			p.skipWS()
			if p.pos >= len(p.src) {
				return -1, p.errf(p.pos, "unexpected end of input in array, want ',' or ']'")
			}
			if p.src[p.pos] == ',' {
				p.pos++
				p.skipWS()
				continue
			}
			if p.src[p.pos] == ']' {
				p.pos++
				break
			}
			return -1, p.errf(p.pos, "unexpected "+quoteChar(p.src[p.pos])+" in array, want ',' or ']'")
		}
	}
	nd := &p.d.nodes[self]
	nd.str, nd.n = span{int32(start), int32(p.pos - start)}, n
	if p.sawWS {
		nd.flags |= flagWS
	}
	p.sawWS = outerWS || p.sawWS
	return self, nil
}
