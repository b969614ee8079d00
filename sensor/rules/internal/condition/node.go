package condition

import "strings"

// Node is a node of a condition's syntax tree.
type Node interface {
	// Position is the byte offset of the node in the condition text.
	Position() int
	// String writes the node back as condition text.
	String() string
}

// AndNode is a conjunction of two or more operands.
type AndNode struct {
	Pos      int
	Children []Node
}

// OrNode is a disjunction of two or more operands.
type OrNode struct {
	Pos      int
	Children []Node
}

// NotNode negates its operand.
type NotNode struct {
	Pos int
	X   Node
}

// MacroNode names a macro (or is a bare word the resolver must reject).
type MacroNode struct {
	Pos  int
	Name string
}

// BoolNode is a constant, produced by the resolver (an empty exception set)
// rather than by the parser.
type BoolNode struct {
	Pos   int
	Value bool
}

// CompareNode is `field op value` or `field exists`.
type CompareNode struct {
	Pos   int
	Field *FieldExpr
	Op    string // lower-cased operator: "=", "in", "contains", "exists", ...
	OpPos int
	Value Value // nil for exists
}

// FieldExpr is a field reference, possibly wrapped in transformers:
// tolower(proc.name) has Transformers ["tolower"].
type FieldExpr struct {
	Pos  int
	Name string // as written, with its argument: proc.aname[2], evt.arg.flags
	// Transformers apply innermost first.
	Transformers []string
}

// Value is the right operand of a comparison: *Scalar, *List or *FieldValue.
type Value interface {
	Node
	isValue()
}

// Scalar is one literal operand.
type Scalar struct {
	Pos    int
	Text   string
	Quoted bool
}

// List is a parenthesised list of literals, or a bare list name (one
// unquoted item, Bare set) that the resolver must expand.
type List struct {
	Pos   int
	Items []*Scalar
	Bare  bool
}

// FieldValue is val(field): the operand is another field of the same event.
type FieldValue struct {
	Pos   int
	Field *FieldExpr
}

func (n *AndNode) Position() int     { return n.Pos }
func (n *OrNode) Position() int      { return n.Pos }
func (n *NotNode) Position() int     { return n.Pos }
func (n *MacroNode) Position() int   { return n.Pos }
func (n *BoolNode) Position() int    { return n.Pos }
func (n *CompareNode) Position() int { return n.Pos }
func (n *FieldExpr) Position() int   { return n.Pos }
func (n *Scalar) Position() int      { return n.Pos }
func (n *List) Position() int        { return n.Pos }
func (n *FieldValue) Position() int  { return n.Pos }

func (*Scalar) isValue()     {}
func (*List) isValue()       {}
func (*FieldValue) isValue() {}

func join(children []Node, sep string) string {
	parts := make([]string, len(children))
	for i, c := range children {
		parts[i] = c.String()
	}
	return "(" + strings.Join(parts, sep) + ")"
}

func (n *AndNode) String() string   { return join(n.Children, " and ") }
func (n *OrNode) String() string    { return join(n.Children, " or ") }
func (n *NotNode) String() string   { return "not " + n.X.String() }
func (n *MacroNode) String() string { return n.Name }
func (n *BoolNode) String() string {
	if n.Value {
		return "(evt.num >= 0)"
	}
	return "(evt.num < 0)"
}

func (n *CompareNode) String() string {
	if n.Value == nil {
		return n.Field.String() + " " + n.Op
	}
	return n.Field.String() + " " + n.Op + " " + n.Value.String()
}

func (n *FieldExpr) String() string {
	s := n.Name
	for _, t := range n.Transformers {
		s = t + "(" + s + ")"
	}
	return s
}

func (n *Scalar) String() string {
	if n.Quoted || n.Text == "" || strings.ContainsAny(n.Text, " \t\n\r\f\v(),\"'=[") {
		return quote(n.Text)
	}
	return n.Text
}

// quote writes s as a double-quoted condition string the lexer reads back.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (n *List) String() string {
	parts := make([]string, len(n.Items))
	for i, it := range n.Items {
		parts[i] = it.String()
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func (n *FieldValue) String() string { return "val(" + n.Field.String() + ")" }

// Walk calls fn for n and, while fn returns true, for its descendants.
func Walk(n Node, fn func(Node) bool) {
	if n == nil || !fn(n) {
		return
	}
	switch n := n.(type) {
	case *AndNode:
		for _, c := range n.Children {
			Walk(c, fn)
		}
	case *OrNode:
		for _, c := range n.Children {
			Walk(c, fn)
		}
	case *NotNode:
		Walk(n.X, fn)
	case *CompareNode:
		Walk(n.Field, fn)
		if n.Value != nil {
			Walk(n.Value, fn)
		}
	case *List:
		for _, it := range n.Items {
			Walk(it, fn)
		}
	case *FieldValue:
		Walk(n.Field, fn)
	}
}
