package rules

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/sakersec/saker/sensor/rules/internal/condition"
)

// Positions in parsed trees are global: each parsed text gets a base
// (index << posShift) added to its offsets, so that a node expanded from a
// macro still locates in the macro's file.
const posShift = 32

// resolver parses conditions and expands lists and macros.
type resolver struct {
	l      *loader
	texts  []text // by position base
	lists  map[string][]string
	macros map[string]*parsedMacro
}

type parsedMacro struct {
	def       *macroDef
	tree      condition.Node // expanded; nil when the macro has errors
	done      bool
	expanding bool // set while its own references are expanded, to catch cycles
}

func newResolver(l *loader) *resolver {
	r := &resolver{l: l, lists: map[string][]string{}, macros: map[string]*parsedMacro{}}
	r.expandLists()
	return r
}

// locate maps a global position to a file position.
func (r *resolver) locate(p int) pos {
	i := p >> posShift
	if i < 0 || i >= len(r.texts) {
		return pos{}
	}
	return r.texts[i].locate(p & (1<<posShift - 1))
}

// unquote strips one level of matching quotes from a list item, so that
// the item '"(systemd)"' matches the value (systemd) as Falco's text
// substitution did.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// expandLists resolves list items naming earlier lists.
func (r *resolver) expandLists() {
	names := append([]string(nil), r.l.listOrder...)
	sort.SliceStable(names, func(i, j int) bool { return r.l.lists[names[i]].order < r.l.lists[names[j]].order })
	for _, n := range names {
		d := r.l.lists[n]
		var out []string
		for _, it := range d.items {
			if sub, ok := r.l.lists[it]; ok && sub.order < d.visibility {
				sub.used = true
				out = append(out, r.lists[it]...)
				continue
			}
			out = append(out, unquote(it))
		}
		r.lists[n] = out
	}
}

// parse parses a text, giving its nodes global positions.
func (r *resolver) parse(t text) (condition.Node, error) {
	base := len(r.texts) << posShift
	r.texts = append(r.texts, t)
	n, err := condition.Parse(t.s)
	if err != nil {
		var pe *condition.Error
		if errors.As(err, &pe) {
			return nil, &posError{pos: base + pe.Pos, msg: pe.Msg}
		}
		return nil, err
	}
	shift(n, base)
	return n, nil
}

// anchor returns a global position that locates at p, for nodes the
// loader builds itself.
func (r *resolver) anchor(p pos) int {
	base := len(r.texts) << posShift
	r.texts = append(r.texts, text{fixed: &p})
	return base
}

// posError is an error at a global position.
type posError struct {
	pos int
	msg string
}

func (e *posError) Error() string { return e.msg }

func shift(n condition.Node, by int) {
	condition.Walk(n, func(n condition.Node) bool {
		switch n := n.(type) {
		case *condition.AndNode:
			n.Pos += by
		case *condition.OrNode:
			n.Pos += by
		case *condition.NotNode:
			n.Pos += by
		case *condition.MacroNode:
			n.Pos += by
		case *condition.CompareNode:
			n.Pos += by
			n.OpPos += by
		case *condition.FieldExpr:
			n.Pos += by
		case *condition.Scalar:
			n.Pos += by
		case *condition.List:
			n.Pos += by
		case *condition.FieldValue:
			n.Pos += by
		}
		return true
	})
}

// macro returns the expanded tree of a macro, parsing it on first use.
// Errors are reported once, at the macro.
func (r *resolver) macro(name string) *parsedMacro {
	pm := r.macros[name]
	if pm == nil {
		d := r.l.macros[name]
		if d == nil {
			return nil
		}
		pm = &parsedMacro{def: d}
		r.macros[name] = pm
	}
	if pm.done {
		return pm
	}
	pm.done, pm.expanding = true, true
	tree, err := r.parse(pm.def.cond)
	if err == nil {
		tree, err = r.expand(tree, pm.def.visibility)
	}
	pm.expanding = false
	if err != nil {
		r.report(err, pm.def.pos, "macro", name)
		return pm
	}
	pm.tree = tree
	return pm
}

// report records an error about an item, at the error's own position
// when it has one.
func (r *resolver) report(err error, at pos, kind, name string) {
	var pe *posError
	if errors.As(err, &pe) {
		if p := r.locate(pe.pos); p.file != nil {
			at = p
		}
		r.l.errorf(at, kind, name, "%s", pe.msg)
		return
	}
	r.l.errorf(at, kind, name, "%v", err)
}

// expandAll expands each of nodes.
func (r *resolver) expandAll(nodes []condition.Node, visibility int) ([]condition.Node, error) {
	out := make([]condition.Node, 0, len(nodes))
	for _, c := range nodes {
		x, err := r.expand(c, visibility)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// expand replaces macro references (only macros defined before
// visibility, or all macros when it is 0) and list names inside list
// operands.
func (r *resolver) expand(n condition.Node, visibility int) (condition.Node, error) {
	switch n := n.(type) {
	case *condition.AndNode:
		children, err := r.expandAll(n.Children, visibility)
		if err != nil {
			return nil, err
		}
		return &condition.AndNode{Pos: n.Pos, Children: children}, nil
	case *condition.OrNode:
		children, err := r.expandAll(n.Children, visibility)
		if err != nil {
			return nil, err
		}
		return &condition.OrNode{Pos: n.Pos, Children: children}, nil
	case *condition.NotNode:
		x, err := r.expand(n.X, visibility)
		if err != nil {
			return nil, err
		}
		return &condition.NotNode{Pos: n.Pos, X: x}, nil
	case *condition.MacroNode:
		d := r.l.macros[n.Name]
		if d == nil {
			if _, isList := r.l.lists[n.Name]; isList {
				return nil, &posError{pos: n.Pos, msg: fmt.Sprintf("%q is a list, not a macro: use it as an operand, e.g. proc.name in (%s)", n.Name, n.Name)}
			}
			return nil, &posError{pos: n.Pos, msg: fmt.Sprintf("undefined macro %q (or a field used without an operator)", n.Name)}
		}
		if visibility > 0 && d.order >= visibility {
			return nil, &posError{pos: n.Pos, msg: fmt.Sprintf("macro %q is defined after this macro: a macro may only use macros defined before it (or before its latest redefinition)", n.Name)}
		}
		d.used = true
		pm := r.macro(n.Name)
		if pm.expanding {
			return nil, &posError{pos: n.Pos, msg: fmt.Sprintf("macro %q uses itself (through the macros it uses)", n.Name)}
		}
		if pm.tree == nil {
			return nil, &posError{pos: n.Pos, msg: fmt.Sprintf("macro %q has errors", n.Name)}
		}
		return pm.tree, nil
	case *condition.CompareNode:
		switch v := n.Value.(type) {
		case *condition.List:
			c := *n
			c.Value = r.expandList(v)
			return &c, nil
		case *condition.Scalar:
			// Falco substitutes list names as text anywhere, so a one-item
			// list works as a single value: proc.name = my_list.
			if d, ok := r.l.lists[v.Text]; ok && !v.Quoted {
				d.used = true
				items := r.lists[v.Text]
				if len(items) != 1 {
					return nil, &posError{pos: v.Pos, msg: fmt.Sprintf("list %q has %d items and cannot be a single value: use %s (%s)", v.Text, len(items), n.Op, v.Text)}
				}
				c := *n
				c.Value = &condition.Scalar{Pos: v.Pos, Text: items[0], Quoted: true}
				return &c, nil
			}
		}
		return n, nil
	}
	return n, nil
}

func (r *resolver) expandList(l *condition.List) *condition.List {
	out := &condition.List{Pos: l.Pos}
	for _, it := range l.Items {
		if !it.Quoted {
			if d, ok := r.l.lists[it.Text]; ok {
				d.used = true
				for _, v := range r.lists[it.Text] {
					out.Items = append(out.Items, &condition.Scalar{Pos: it.Pos, Text: v, Quoted: true})
				}
				continue
			}
		}
		out.Items = append(out.Items, it)
	}
	return out
}

// exceptionsTree builds `not (row or row ...)` for a rule's exceptions, or
// nil when no exception has values.
func (r *resolver) exceptionsTree(rd *ruleDef) condition.Node {
	var rows []condition.Node
	for _, e := range rd.exceptions {
		if len(e.fields) == 0 {
			continue
		}
		at := r.anchor(e.pos)
		for _, row := range e.values {
			if e.single {
				items := make([]*condition.Scalar, 0, len(row))
				for _, v := range row {
					if s, ok := v.(string); ok {
						items = append(items, exceptionValue(s, at))
					}
				}
				rows = append(rows, r.exceptionCompare(e.fields[0], e.comps[0], items, at))
				continue
			}
			and := &condition.AndNode{Pos: at}
			for i, v := range row {
				var items []*condition.Scalar
				switch v := v.(type) {
				case string:
					items = []*condition.Scalar{exceptionValue(v, at)}
				case []string:
					for _, s := range v {
						items = append(items, exceptionValue(s, at))
					}
				}
				and.Children = append(and.Children, r.exceptionCompare(e.fields[i], e.comps[i], items, at))
			}
			rows = append(rows, and)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	at := rows[0].Position()
	return &condition.NotNode{Pos: at, X: &condition.OrNode{Pos: at, Children: rows}}
}

func (r *resolver) exceptionCompare(field, comp string, items []*condition.Scalar, at int) condition.Node {
	n := &condition.CompareNode{Pos: at, OpPos: at, Field: &condition.FieldExpr{Pos: at, Name: field}, Op: comp}
	if condition.ListOperators[comp] {
		n.Value = r.expandList(&condition.List{Pos: at, Items: items})
		return n
	}
	if len(items) == 1 {
		n.Value = items[0]
	} else {
		n.Value = &condition.Scalar{Pos: at, Text: "", Quoted: true}
	}
	return n
}

// exceptionValue is an exception value as Falco's text assembly reads it:
// quoted when it holds a space or starts with a quote, otherwise a bare
// word that may name a list.
func exceptionValue(v string, at int) *condition.Scalar {
	quoted := strings.Contains(v, " ") || (len(v) > 0 && (v[0] == '"' || v[0] == '\''))
	return &condition.Scalar{Pos: at, Text: unquote(v), Quoted: quoted}
}
