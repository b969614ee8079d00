package condition

import (
	"fmt"
	"strconv"
	"strings"
)

// tokKind is the kind of a lexed token.
type tokKind uint8

const (
	tokEOF    tokKind = iota
	tokLParen         // (
	tokRParen         // )
	tokComma          // ,
	tokOp             // = == != < <= > >=
	tokWord           // a bare word: keyword, field, macro name or unquoted value
	tokString         // a quoted string, unescaped
)

func (k tokKind) String() string {
	return [...]string{"end of condition", "(", ")", ",", "operator", "word", "quoted string"}[k]
}

type token struct {
	kind tokKind
	pos  int    // byte offset of the token's first character
	text string // the word, operator or unescaped string
}

func (t token) describe() string {
	switch t.kind {
	case tokWord, tokOp:
		return strconv.Quote(t.text)
	case tokString:
		return "quoted string " + strconv.Quote(t.text)
	}
	return t.kind.String()
}

// lexer splits a condition into tokens on demand; the parser peeks one
// token ahead.
type lexer struct {
	src  string
	pos  int
	peek *token
	err  *Error
	// value is set while the parser reads an operand: bare values end only
	// at whitespace, parentheses, commas, quotes and '=' (as in Falco), so
	// that `evt.dir = <` and `proc.name = <NA>` read as values.
	value bool
}

// isDelim reports whether c ends a bare word.
func isDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\f', '\v', '(', ')', ',', '"', '\'', '=', '<', '>':
		return true
	}
	return false
}

// isValueDelim reports whether c ends a bare value.
func isValueDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\f', '\v', '(', ')', ',', '"', '\'', '=':
		return true
	}
	return false
}

func (l *lexer) next() token {
	if l.peek != nil {
		t := *l.peek
		l.peek = nil
		return t
	}
	return l.scan()
}

func (l *lexer) lookahead() token {
	if l.peek == nil {
		t := l.scan()
		l.peek = &t
	}
	return *l.peek
}

func (l *lexer) fail(pos int, format string, args ...any) token {
	if l.err == nil {
		l.err = &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
	}
	l.pos = len(l.src)
	return token{kind: tokEOF, pos: pos}
}

func (l *lexer) scan() token {
	for l.pos < len(l.src) && strings.IndexByte(" \t\n\r\f\v", l.src[l.pos]) >= 0 {
		l.pos++
	}
	start := l.pos
	if l.pos >= len(l.src) {
		return token{kind: tokEOF, pos: start}
	}
	c := l.src[l.pos]
	switch c {
	case '(':
		l.pos++
		return token{kind: tokLParen, pos: start, text: "("}
	case ')':
		l.pos++
		return token{kind: tokRParen, pos: start, text: ")"}
	case ',':
		l.pos++
		return token{kind: tokComma, pos: start, text: ","}
	case '<', '>', '!':
		if l.value {
			break
		}
		if c == '!' {
			if l.pos+1 < len(l.src) && l.src[l.pos+1] == '=' {
				l.pos += 2
				return token{kind: tokOp, pos: start, text: "!="}
			}
			break
		}
		fallthrough
	case '=':
		l.pos++
		if l.pos < len(l.src) && l.src[l.pos] == '=' {
			l.pos++
		}
		return token{kind: tokOp, pos: start, text: l.src[start:l.pos]}
	case '"', '\'':
		return l.scanString(c)
	}
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if l.value {
			if isValueDelim(c) {
				break
			}
			l.pos++
			continue
		}
		if c == '!' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '=' {
			break
		}
		if isDelim(c) {
			break
		}
		if c == '[' {
			// A field argument runs to the closing bracket whatever it
			// holds: jevt.value[/spec/volumes], evt.arg[a=b].
			end := strings.IndexByte(l.src[l.pos:], ']')
			if end < 0 {
				return l.fail(l.pos, "unterminated [ in %q", l.src[start:])
			}
			l.pos += end + 1
			continue
		}
		l.pos++
	}
	return token{kind: tokWord, pos: start, text: l.src[start:l.pos]}
}

func (l *lexer) scanString(q byte) token {
	start := l.pos
	l.pos++
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == q:
			l.pos++
			return token{kind: tokString, pos: start, text: b.String()}
		case c == '\\':
			if l.pos+1 >= len(l.src) {
				return l.fail(l.pos, "unterminated escape in quoted string")
			}
			e := l.src[l.pos+1]
			l.pos += 2
			switch e {
			case '\\', '"', '\'', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'x':
				if l.pos+2 > len(l.src) {
					return l.fail(l.pos-2, `\x escape needs two hex digits`)
				}
				v, err := strconv.ParseUint(l.src[l.pos:l.pos+2], 16, 8)
				if err != nil {
					return l.fail(l.pos-2, `\x escape needs two hex digits, got %q`, l.src[l.pos:l.pos+2])
				}
				b.WriteByte(byte(v))
				l.pos += 2
			default:
				return l.fail(l.pos-2, `unknown escape \%c in quoted string`, e)
			}
		default:
			b.WriteByte(c)
			l.pos++
		}
	}
	return l.fail(start, "unterminated quoted string")
}
