package condition

import (
	"fmt"
	"strings"
)

// Error is a syntax error at a byte offset of the condition.
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("at offset %d: %s", e.Pos, e.Msg) }

// Operators lists every binary operator, lower-case.
var Operators = []string{
	"=", "==", "!=", "<", "<=", ">", ">=", "contains", "icontains", "bcontains", "startswith",
	"bstartswith", "endswith", "glob", "iglob", "pmatch", "in", "intersects", "regex",
}

// ListOperators take a parenthesised list operand.
var ListOperators = map[string]bool{"in": true, "intersects": true, "pmatch": true}

// Transformers are the functions that may wrap a field.
var Transformers = map[string]bool{"tolower": true, "toupper": true, "b64": true, "basename": true, "len": true}

var wordOps = func() map[string]bool {
	m := map[string]bool{"exists": true}
	for _, o := range Operators {
		m[o] = true
	}
	return m
}()

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 1000

// Parse parses a condition.
func Parse(src string) (Node, error) {
	p := &parser{lex: lexer{src: src}}
	n := p.parseOr()
	if p.err == nil {
		if t := p.lex.next(); t.kind != tokEOF {
			p.failf(t.pos, "unexpected %s after a complete expression (missing and/or?)", t.describe())
		}
	}
	if p.lex.err != nil {
		return nil, p.lex.err
	}
	if p.err != nil {
		return nil, p.err
	}
	return n, nil
}

type parser struct {
	lex   lexer
	err   *Error
	depth int
}

func (p *parser) failf(pos int, format string, args ...any) {
	if p.err == nil && p.lex.err == nil {
		p.err = &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
	}
}

func (p *parser) failed() bool { return p.err != nil || p.lex.err != nil }

func (p *parser) isKeyword(t token, kw string) bool {
	return t.kind == tokWord && strings.EqualFold(t.text, kw)
}

func (p *parser) parseOr() Node {
	first := p.parseAnd()
	if p.failed() {
		return nil
	}
	if !p.isKeyword(p.lex.lookahead(), "or") {
		return first
	}
	n := &OrNode{Pos: first.Position(), Children: []Node{first}}
	for p.isKeyword(p.lex.lookahead(), "or") {
		p.lex.next()
		c := p.parseAnd()
		if p.failed() {
			return nil
		}
		n.Children = append(n.Children, c)
	}
	return n
}

func (p *parser) parseAnd() Node {
	first := p.parseNot()
	if p.failed() {
		return nil
	}
	if !p.isKeyword(p.lex.lookahead(), "and") {
		return first
	}
	n := &AndNode{Pos: first.Position(), Children: []Node{first}}
	for p.isKeyword(p.lex.lookahead(), "and") {
		p.lex.next()
		c := p.parseNot()
		if p.failed() {
			return nil
		}
		n.Children = append(n.Children, c)
	}
	return n
}

func (p *parser) parseNot() Node {
	t := p.lex.lookahead()
	if p.isKeyword(t, "not") {
		p.lex.next()
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			p.failf(t.pos, "condition nests deeper than %d levels", maxDepth)
			return nil
		}
		x := p.parseNot()
		if p.failed() {
			return nil
		}
		return &NotNode{Pos: t.pos, X: x}
	}
	return p.parseCheck()
}

func (p *parser) parseCheck() Node {
	t := p.lex.next()
	switch t.kind {
	case tokLParen:
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			p.failf(t.pos, "condition nests deeper than %d levels", maxDepth)
			return nil
		}
		n := p.parseOr()
		if p.failed() {
			return nil
		}
		if c := p.lex.next(); c.kind != tokRParen {
			p.failf(c.pos, "expected ) to close the ( at offset %d, got %s", t.pos, c.describe())
			return nil
		}
		return n
	case tokWord:
	case tokEOF:
		p.failf(t.pos, "condition ends where an expression was expected")
		return nil
	default:
		p.failf(t.pos, "unexpected %s where a field, macro or ( was expected", t.describe())
		return nil
	}
	var field *FieldExpr
	if Transformers[strings.ToLower(t.text)] && p.lex.lookahead().kind == tokLParen {
		field = p.parseTransformed(t)
		if p.failed() {
			return nil
		}
	} else {
		switch w := strings.ToLower(t.text); w {
		case "and", "or":
			p.failf(t.pos, "unexpected %q where an expression was expected", t.text)
			return nil
		}
		next := p.lex.lookahead()
		isOp := next.kind == tokOp || (next.kind == tokWord && wordOps[strings.ToLower(next.text)])
		if !isOp {
			if !isIdent(t.text) {
				if strings.Contains(t.text, ".") {
					p.failf(next.pos, "field %s must be followed by an operator, got %s", t.text, next.describe())
				} else {
					p.failf(t.pos, "%q is not a valid macro name", t.text)
				}
				return nil
			}
			return &MacroNode{Pos: t.pos, Name: t.text}
		}
		field = &FieldExpr{Pos: t.pos, Name: t.text}
	}
	op := p.lex.next()
	if !(op.kind == tokOp || (op.kind == tokWord && wordOps[strings.ToLower(op.text)])) {
		p.failf(op.pos, "expected an operator after %s, got %s", field, op.describe())
		return nil
	}
	n := &CompareNode{Pos: field.Pos, Field: field, Op: strings.ToLower(op.text), OpPos: op.pos}
	if n.Op == "exists" {
		return n
	}
	n.Value = p.parseValue(n.Op)
	if p.failed() {
		return nil
	}
	return n
}

// parseTransformed parses tolower(...) etc. after its name; name is the
// transformer word already consumed.
func (p *parser) parseTransformed(name token) *FieldExpr {
	p.lex.next() // (
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		p.failf(name.pos, "condition nests deeper than %d levels", maxDepth)
		return nil
	}
	inner := p.lex.next()
	if inner.kind != tokWord {
		p.failf(inner.pos, "%s( wants a field, got %s", name.text, inner.describe())
		return nil
	}
	var f *FieldExpr
	if Transformers[strings.ToLower(inner.text)] && p.lex.lookahead().kind == tokLParen {
		f = p.parseTransformed(inner)
		if p.failed() {
			return nil
		}
	} else {
		if !isFieldName(inner.text) {
			p.failf(inner.pos, "%s( wants a field, got %q", name.text, inner.text)
			return nil
		}
		f = &FieldExpr{Pos: inner.pos, Name: inner.text}
	}
	if c := p.lex.next(); c.kind != tokRParen {
		p.failf(c.pos, "expected ) to close %s(, got %s", name.text, c.describe())
		return nil
	}
	f.Pos = name.pos
	f.Transformers = append(f.Transformers, strings.ToLower(name.text))
	return f
}

func (p *parser) parseValue(op string) Value {
	p.lex.value = true
	defer func() { p.lex.value = false }()
	t := p.lex.next()
	switch t.kind {
	case tokLParen:
		if !ListOperators[op] {
			p.failf(t.pos, "operator %s takes one value, not a list", op)
			return nil
		}
		return p.parseList(t)
	case tokString:
		if ListOperators[op] && op != "pmatch" {
			// Falco accepts `x in "a"` as a one-item list.
			return &List{Pos: t.pos, Items: []*Scalar{{Pos: t.pos, Text: t.text, Quoted: true}}}
		}
		return &Scalar{Pos: t.pos, Text: t.text, Quoted: true}
	case tokWord:
		if strings.EqualFold(t.text, "val") && p.lex.lookahead().kind == tokLParen {
			f := p.parseTransformed(token{kind: tokWord, pos: t.pos, text: "val"})
			if f == nil {
				return nil
			}
			// val is not a transformer: drop it again.
			f.Transformers = f.Transformers[:len(f.Transformers)-1]
			return &FieldValue{Pos: t.pos, Field: f}
		}
		if ListOperators[op] {
			// A bare list name: `proc.name in shell_binaries`.
			return &List{Pos: t.pos, Items: []*Scalar{{Pos: t.pos, Text: t.text}}, Bare: true}
		}
		return &Scalar{Pos: t.pos, Text: t.text}
	case tokOp:
		p.failf(t.pos, "unexpected operator %q where a value was expected (quote values that start with =)", t.text)
		return nil
	}
	p.failf(t.pos, "expected a value after %s, got %s", op, t.describe())
	return nil
}

func (p *parser) parseList(open token) *List {
	l := &List{Pos: open.pos}
	if p.lex.lookahead().kind == tokRParen {
		p.lex.next()
		return l
	}
	for {
		t := p.lex.next()
		switch t.kind {
		case tokWord:
			l.Items = append(l.Items, &Scalar{Pos: t.pos, Text: t.text})
		case tokString:
			l.Items = append(l.Items, &Scalar{Pos: t.pos, Text: t.text, Quoted: true})
		default:
			p.failf(t.pos, "expected a list item, got %s", t.describe())
			return nil
		}
		switch sep := p.lex.next(); sep.kind {
		case tokComma:
		case tokRParen:
			return l
		default:
			p.failf(sep.pos, "expected , or ) in the list opened at offset %d, got %s", open.pos, sep.describe())
			return nil
		}
	}
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return false
	}
	return true
}

func isFieldName(s string) bool {
	name := s
	if i := strings.IndexByte(s, '['); i >= 0 {
		name = s[:i]
	}
	if !strings.Contains(name, ".") {
		return false
	}
	for _, part := range strings.Split(name, ".") {
		if part == "" {
			return false
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
				return false
			}
		}
	}
	return true
}

// IsFieldName reports whether s is syntactically a field reference.
func IsFieldName(s string) bool { return isFieldName(s) }
