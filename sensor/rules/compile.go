package rules

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/rules/internal/condition"
)

// evalFn evaluates a compiled condition node for one event.
type evalFn func(c *evalCtx, e fields.Event) bool

// program is the compiled form of every rule of one source. It is
// immutable once built: per-event state lives in an evalCtx.
type program struct {
	source *fields.Source
	ntypes int // number of event types of the source
	slots  []*slotSpec
	byKey  map[string]int
	rules  []*compiledRule
	// exprs numbers the distinct compiled subexpressions (hash-consing:
	// a comparison by its text, an and/or/not by its operator and its
	// operands' numbers), so equal subexpressions of different rules are
	// recognised without comparing their text.
	exprs map[string]int
	// memos are the and/or subexpressions by number; the ones that occur
	// more than once (a macro several rules use) are evaluated once per
	// event.
	memos     map[int]*memoSpec
	memoSites []memoSite
}

// memoSpec is one and/or subexpression of the program. Conditions are
// pure functions of the event, so every occurrence of the same text has
// the same value for one event (evt.type tests a rule's index folds into
// constants are true or false for every event the rule sees).
type memoSpec struct {
	idx    int // into evalCtx.memo
	uses   int // occurrences in compiled rules
	shared bool
}

// memoSite is where a memoized subexpression is called from: once every
// rule has compiled, the sites of subexpressions that occur only once
// call the plain evaluator instead (program.unmemoize).
type memoSite struct {
	at  *evalFn
	raw evalFn
	m   *memoSpec
}

// slotSpec is one extracted (or transformed) value, shared by every node
// and output that names the same field expression.
type slotSpec struct {
	key       string
	ref       fields.Ref
	ext       fields.Extractor
	typ       fields.Type
	multi     fields.Multi
	inner     int // -1: extracted; otherwise the transformed slot
	transform string
}

// compiler type-checks and compiles conditions of one source.
type compiler struct {
	prog     *program
	res      *resolver
	warnings []string
	// unknownField is set when a field is not declared, for
	// skip-if-unknown-filter.
	unknownField bool
	// ruleTypes, when set, are the event types the rule being compiled
	// runs for: evt.type tests they decide are folded into constants.
	ruleTypes typeSet
	// memoUses are the subexpressions the compiled condition holds, and
	// memoSites where it calls them; both go to the program once the rule
	// is accepted (commitMemos).
	memoUses  []*memoSpec
	memoSites []memoSite
}

// exprID returns the number of the subexpression key describes.
func (cc *compiler) exprID(key string) int {
	if cc.prog.exprs == nil {
		cc.prog.exprs = map[string]int{}
	}
	id, ok := cc.prog.exprs[key]
	if !ok {
		id = len(cc.prog.exprs) + 1
		cc.prog.exprs[key] = id
	}
	return id
}

// junctionID numbers the and (op '&') or or ('|') of kids, 0 when one of
// them has no number.
func (cc *compiler) junctionID(op byte, kids []cnode) int {
	key := make([]byte, 0, 8*len(kids))
	key = append(key, op)
	for _, x := range kids {
		if x.id == 0 {
			return 0
		}
		key = strconv.AppendInt(append(key, ','), int64(x.id), 10)
	}
	return cc.exprID(string(key))
}

// memoize returns the node of f, the evaluator of subexpression id, made
// to evaluate at most once per event. Whether id occurs more than once is
// known only when every rule has compiled: the caller registers where it
// calls the node (site) so that program.unmemoize can call f directly
// where the memo would cost more than it saves.
func (cc *compiler) memoize(id int, f evalFn, may, must typeSet) cnode {
	if id == 0 {
		return cnode{fn: f, may: may, must: must}
	}
	if cc.prog.memos == nil {
		cc.prog.memos = map[int]*memoSpec{}
	}
	m := cc.prog.memos[id]
	if m == nil {
		m = &memoSpec{idx: len(cc.prog.memos)}
		cc.prog.memos[id] = m
	}
	cc.memoUses = append(cc.memoUses, m)
	memo := func(c *evalCtx, e fields.Event) bool {
		s := &c.memo[m.idx]
		if s.gen != c.gen {
			s.gen, s.v = c.gen, f(c, e)
		}
		return s.v
	}
	return cnode{fn: memo, may: may, must: must, memo: m, raw: f, id: id}
}

// site records that *at holds x's evaluator.
func (cc *compiler) site(at *evalFn, x cnode) {
	if x.memo != nil {
		cc.memoSites = append(cc.memoSites, memoSite{at: at, raw: x.raw, m: x.memo})
	}
}

// resetMemos forgets the uses of a compilation that is thrown away.
func (cc *compiler) resetMemos() { cc.memoUses, cc.memoSites = nil, nil }

// commitMemos keeps the sites of an accepted rule and, when count is set,
// counts its subexpressions.
func (cc *compiler) commitMemos(count bool) {
	for _, m := range cc.memoUses {
		if count {
			m.uses++
			m.shared = m.uses > 1
		}
	}
	cc.prog.memoSites = append(cc.prog.memoSites, cc.memoSites...)
	cc.resetMemos()
}

// unmemoize makes the calls of subexpressions that occur only once call
// their evaluator directly. Call it when every rule has compiled.
func (p *program) unmemoize() {
	for _, s := range p.memoSites {
		if !s.m.shared {
			*s.at = s.raw
		}
	}
	p.memoSites = nil
}

// typeSet is a set of event types as a bitset; for sources without event
// types it is always empty and ignored.
type typeSet []uint64

func newTypeSet(n int, full bool) typeSet {
	s := make(typeSet, (n+63)/64)
	if full {
		for i := range s {
			s[i] = ^uint64(0)
		}
		if r := n % 64; r != 0 {
			s[len(s)-1] = 1<<r - 1
		}
	}
	return s
}

func (s typeSet) has(i int) bool { return s[i/64]&(1<<(i%64)) != 0 }
func (s typeSet) set(i int)      { s[i/64] |= 1 << (i % 64) }

func (s typeSet) isFull(n int) bool {
	full := newTypeSet(n, true)
	for i := range s {
		if s[i] != full[i] {
			return false
		}
	}
	return true
}

func (s typeSet) count() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

func (s typeSet) isEmpty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

// cnode is a compiled node: its evaluator, and the event types for which it
// may be true and must be true (used to index rules by event type).
type cnode struct {
	fn         evalFn
	may, must  typeSet
	constValue *bool // set for constant nodes
	// memo is set when fn is the memoized form of raw.
	memo *memoSpec
	raw  evalFn
	// id numbers the subexpression (program.exprs); 0 for constants.
	id int
}

func (cc *compiler) all() typeSet  { return newTypeSet(cc.prog.ntypes, true) }
func (cc *compiler) none() typeSet { return newTypeSet(cc.prog.ntypes, false) }

// compileErr is an error at a global position.
func errAt(p int, format string, args ...any) error {
	return &posError{pos: p, msg: fmt.Sprintf(format, args...)}
}

func (cc *compiler) compile(n condition.Node) (cnode, error) {
	switch n := n.(type) {
	case *condition.AndNode, *condition.OrNode:
		var children []condition.Node
		_, isAnd := n.(*condition.AndNode)
		if isAnd {
			children = n.(*condition.AndNode).Children
		} else {
			children = n.(*condition.OrNode).Children
		}
		var kids []cnode
		var may, must typeSet
		var decided *bool // a child that decides the junction: false in and, true in or
		for i, c := range children {
			x, err := cc.compile(c)
			if err != nil {
				return cnode{}, err
			}
			if i == 0 {
				// Copy: the child's sets may be captured by its evaluator.
				may, must = append(typeSet(nil), x.may...), append(typeSet(nil), x.must...)
			} else {
				for w := range may {
					if isAnd {
						may[w] &= x.may[w]
						must[w] &= x.must[w]
					} else {
						may[w] |= x.may[w]
						must[w] |= x.must[w]
					}
				}
			}
			switch {
			case x.constValue == nil:
				kids = append(kids, x)
			case *x.constValue != isAnd:
				v := *x.constValue
				decided = &v
			}
		}
		if decided != nil {
			return constNode(*decided, may, must), nil
		}
		if len(kids) == 0 {
			// Every child was the neutral constant.
			return constNode(isAnd, may, must), nil
		}
		if len(kids) == 1 {
			x := kids[0]
			x.may, x.must = may, must
			return x, nil
		}
		fns := make([]evalFn, len(kids))
		for i, x := range kids {
			fns[i] = x.fn
			cc.site(&fns[i], x)
		}
		op := byte('|')
		if isAnd {
			op = '&'
		}
		return cc.memoize(cc.junctionID(op, kids), junction(fns, isAnd), may, must), nil
	case *condition.NotNode:
		x, err := cc.compile(n.X)
		if err != nil {
			return cnode{}, err
		}
		may, must := cc.all(), cc.all()
		for w := range may {
			may[w] &^= x.must[w]
			must[w] &^= x.may[w]
		}
		if x.constValue != nil {
			return constNode(!*x.constValue, may, must), nil
		}
		f := &[1]evalFn{x.fn}
		cc.site(&f[0], x)
		id := 0
		if x.id != 0 {
			id = cc.exprID("!" + strconv.Itoa(x.id))
		}
		return cnode{fn: func(c *evalCtx, e fields.Event) bool { return !f[0](c, e) }, may: may, must: must, id: id}, nil
	case *condition.BoolNode:
		v := n.Value
		if v {
			return cnode{fn: func(*evalCtx, fields.Event) bool { return true }, may: cc.all(), must: cc.all()}, nil
		}
		return cnode{fn: func(*evalCtx, fields.Event) bool { return false }, may: cc.none(), must: cc.none()}, nil
	case *condition.CompareNode:
		x, err := cc.compare(n)
		if err == nil && x.constValue == nil {
			x.id = cc.exprID(n.String())
		}
		return x, err
	case *condition.MacroNode:
		return cnode{}, errAt(n.Pos, "undefined macro %q", n.Name)
	}
	return cnode{}, fmt.Errorf("unexpected condition node %T", n)
}

func constNode(v bool, may, must typeSet) cnode {
	fn := func(*evalCtx, fields.Event) bool { return false }
	if v {
		fn = func(*evalCtx, fields.Event) bool { return true }
	}
	return cnode{fn: fn, may: may, must: must, constValue: &v}
}

// junction evaluates fns in order with short circuit. The evaluators read
// fns on every call (not copies of its elements), so that
// program.unmemoize can still replace them.
func junction(fns []evalFn, and bool) evalFn {
	if len(fns) == 2 {
		p := (*[2]evalFn)(fns)
		if and {
			return func(c *evalCtx, e fields.Event) bool { return p[0](c, e) && p[1](c, e) }
		}
		return func(c *evalCtx, e fields.Event) bool { return p[0](c, e) || p[1](c, e) }
	}
	if and {
		return func(c *evalCtx, e fields.Event) bool {
			for _, f := range fns {
				if !f(c, e) {
					return false
				}
			}
			return true
		}
	}
	return func(c *evalCtx, e fields.Event) bool {
		for _, f := range fns {
			if f(c, e) {
				return true
			}
		}
		return false
	}
}

// slot returns the slot of a field expression, creating it (and compiling
// its extractor) on first use.
func (cc *compiler) slot(fe *condition.FieldExpr) (int, error) {
	key := fe.String()
	if i, ok := cc.prog.byKey[key]; ok {
		return i, nil
	}
	var spec *slotSpec
	if len(fe.Transformers) == 0 {
		ref, err := cc.prog.source.Resolve(fe.Name)
		if err != nil {
			if errors.Is(err, fields.ErrUnknownField) {
				cc.unknownField = true
				hint := ""
				if i := strings.Index(err.Error(), " (did you mean"); i >= 0 {
					hint = err.Error()[i:]
				}
				return 0, errAt(fe.Pos, "unknown field %s in source %s%s", fe.Name, cc.prog.source.Name(), hint)
			}
			return 0, errAt(fe.Pos, "%v", err)
		}
		spec = &slotSpec{key: key, ref: ref, typ: ref.Field.Type, multi: ref.Multi(), inner: -1}
		if f := cc.prog.source.Extractors(); f != nil {
			ext, err := f.NewExtractor(ref)
			if err != nil {
				return 0, errAt(fe.Pos, "field %s: %v", ref, err)
			}
			spec.ext = ext
		}
	} else {
		innerFE := &condition.FieldExpr{Pos: fe.Pos, Name: fe.Name, Transformers: fe.Transformers[:len(fe.Transformers)-1]}
		inner, err := cc.slot(innerFE)
		if err != nil {
			return 0, err
		}
		in := cc.prog.slots[inner]
		t := fe.Transformers[len(fe.Transformers)-1]
		spec = &slotSpec{key: key, ref: in.ref, typ: in.typ, multi: in.multi, inner: inner, transform: t}
		switch t {
		case "len":
			if in.typ != fields.TypeString && in.typ != fields.TypeBytes && in.multi == fields.Single {
				return 0, errAt(fe.Pos, "len() needs a string, bytes or list field, %s is %s", in.ref, in.typ)
			}
			spec.typ, spec.multi = fields.TypeUint, fields.Single
		default:
			if in.typ != fields.TypeString && in.typ != fields.TypeBytes {
				return 0, errAt(fe.Pos, "%s() needs a string field, %s is %s", t, in.ref, in.typ)
			}
			spec.typ = fields.TypeString
		}
	}
	cc.prog.slots = append(cc.prog.slots, spec)
	cc.prog.byKey[key] = len(cc.prog.slots) - 1
	return len(cc.prog.slots) - 1, nil
}

var opAllowed = map[string]map[fields.Type]bool{}

func init() {
	// The operators each type supports, as libsinsp's flt_is_comparable.
	numeric := []string{"=", "==", "!=", "<", "<=", ">", ">=", "in", "intersects"}
	equality := []string{"=", "==", "!=", "in", "intersects"}
	str := []string{"=", "==", "!=", "<", "<=", ">", ">=", "contains", "icontains", "startswith", "endswith",
		"glob", "iglob", "pmatch", "in", "intersects", "regex"}
	buf := []string{"=", "==", "!=", "contains", "startswith", "endswith", "in", "intersects", "bcontains", "bstartswith"}
	allow := func(t fields.Type, ops []string) {
		for _, op := range ops {
			if opAllowed[op] == nil {
				opAllowed[op] = map[fields.Type]bool{}
			}
			opAllowed[op][t] = true
		}
	}
	for _, t := range []fields.Type{fields.TypeInt, fields.TypeUint, fields.TypePort, fields.TypeRelTime, fields.TypeAbsTime} {
		allow(t, numeric)
	}
	allow(fields.TypeBool, equality)
	allow(fields.TypeIPAddr, equality)
	allow(fields.TypeIPNet, equality)
	allow(fields.TypeString, str)
	allow(fields.TypeBytes, buf)
}

func (cc *compiler) compare(n *condition.CompareNode) (cnode, error) {
	si, err := cc.slot(n.Field)
	if err != nil {
		return cnode{}, err
	}
	spec := cc.prog.slots[si]
	base := cnode{may: cc.all(), must: cc.none()}
	if n.Op == "exists" {
		base.fn = func(c *evalCtx, e fields.Event) bool { _, ok := c.get(e, si); return ok }
		return base, nil
	}
	if spec.multi == fields.List && n.Op != "in" && n.Op != "intersects" {
		// As in libsinsp: a list compares as a set.
		return cnode{}, errAt(n.OpPos, "%s is a list field: it supports only exists, in and intersects, not %s", n.Field, n.Op)
	}
	if !opAllowed[n.Op][spec.typ] {
		return cnode{}, errAt(n.OpPos, "operator %s cannot be used on %s, a %s field", n.Op, n.Field, spec.typ)
	}
	if fv, ok := n.Value.(*condition.FieldValue); ok {
		return cc.compareFields(n, si, fv)
	}
	// evt.type against literal names becomes a test of the event's type
	// index, and drives the rule index.
	if n.Field.Name == "evt.type" && len(n.Field.Transformers) == 0 && cc.prog.ntypes > 0 {
		if x, ok, err := cc.compareEventType(n); ok || err != nil {
			return x, err
		}
	}
	var lits []*condition.Scalar
	switch v := n.Value.(type) {
	case *condition.Scalar:
		lits = []*condition.Scalar{v}
	case *condition.List:
		// A bare word after in that names no list stays a one-item list.
		lits = v.Items
	}
	m, err := cc.matcher(n, spec, lits)
	if err != nil {
		return cnode{}, err
	}
	base.fn = m
	return base, nil
}

func (cc *compiler) compareEventType(n *condition.CompareNode) (cnode, bool, error) {
	var names []*condition.Scalar
	switch n.Op {
	case "=", "==", "!=":
		s, ok := n.Value.(*condition.Scalar)
		if !ok {
			return cnode{}, false, nil
		}
		names = []*condition.Scalar{s}
	case "in", "intersects":
		l, ok := n.Value.(*condition.List)
		if !ok {
			return cnode{}, false, nil
		}
		names = l.Items
	default:
		return cnode{}, false, nil
	}
	set := cc.none()
	for _, s := range names {
		i, ok := cc.prog.source.EventTypeIndex(s.Text)
		if !ok {
			cc.warnings = append(cc.warnings, fmt.Sprintf("unknown event type %q in evt.type comparison: it never matches", s.Text))
			continue
		}
		set.set(i)
	}
	if n.Op == "!=" {
		full := cc.all()
		for w := range set {
			set[w] = full[w] &^ set[w]
		}
	}
	may, must := append(typeSet(nil), set...), append(typeSet(nil), set...)
	if rt := cc.ruleTypes; rt != nil {
		// The rule only runs for events of its types: a test that every
		// one of them passes, or none does, is a constant.
		all, none := true, true
		for w := range rt {
			if rt[w]&^set[w] != 0 {
				all = false
			}
			if rt[w]&set[w] != 0 {
				none = false
			}
		}
		if all || none {
			return constNode(all, may, must), true, nil
		}
	}
	fn := func(c *evalCtx, e fields.Event) bool {
		t := e.EventType()
		return t >= 0 && t < c.prog.ntypes && set.has(t)
	}
	return cnode{fn: fn, may: may, must: must}, true, nil
}

// matcher compiles a comparison against literals.
func (cc *compiler) matcher(n *condition.CompareNode, spec *slotSpec, lits []*condition.Scalar) (evalFn, error) {
	si := cc.prog.byKey[spec.key]
	op := n.Op
	if op == "==" {
		op = "="
	}
	if op != "in" && op != "intersects" && op != "pmatch" && len(lits) != 1 {
		return nil, errAt(n.OpPos, "operator %s takes one value", op)
	}
	switch spec.typ {
	case fields.TypeString, fields.TypeBytes:
		sm, err := stringMatcher(op, lits)
		if err != nil {
			return nil, err
		}
		isBytes := spec.typ == fields.TypeBytes
		switch spec.multi {
		case fields.List:
			if op == "in" {
				return func(c *evalCtx, e fields.Event) bool {
					v, ok := c.get(e, si)
					if !ok || len(v.List) == 0 {
						return false
					}
					for _, s := range v.List {
						if !sm(s) {
							return false
						}
					}
					return true
				}, nil
			}
			fallthrough
		case fields.AnyOf:
			return func(c *evalCtx, e fields.Event) bool {
				v, ok := c.get(e, si)
				if !ok {
					return false
				}
				for _, s := range v.List {
					if sm(s) {
						return true
					}
				}
				return false
			}, nil
		}
		if isBytes {
			return func(c *evalCtx, e fields.Event) bool {
				v, ok := c.get(e, si)
				return ok && sm(bytesString(v.Bytes))
			}, nil
		}
		return func(c *evalCtx, e fields.Event) bool {
			v, ok := c.get(e, si)
			return ok && sm(v.Str)
		}, nil
	case fields.TypeBool:
		want := make([]bool, 0, 2)
		for _, l := range lits {
			switch strings.ToLower(l.Text) {
			case "true":
				want = append(want, true)
			case "false":
				want = append(want, false)
			default:
				return nil, errAt(l.Pos, "%s is a bool field: compare with true or false, not %q", n.Field, l.Text)
			}
		}
		neg := op == "!="
		return func(c *evalCtx, e fields.Event) bool {
			v, ok := c.get(e, si)
			if !ok {
				return false
			}
			for _, w := range want {
				if v.Bool == w {
					return !neg
				}
			}
			return neg
		}, nil
	case fields.TypeIPAddr, fields.TypeIPNet:
		var nets []netip.Prefix
		for _, l := range lits {
			p, err := parseNet(l.Text)
			if err != nil {
				return nil, errAt(l.Pos, "%s is an address field: %q is not an address or network", n.Field, l.Text)
			}
			nets = append(nets, p)
		}
		neg := op == "!="
		return func(c *evalCtx, e fields.Event) bool {
			v, ok := c.get(e, si)
			if !ok || !v.Addr.IsValid() {
				return false
			}
			a := v.Addr.Unmap()
			for _, p := range nets {
				if p.Contains(a) {
					return !neg
				}
			}
			return neg
		}, nil
	}
	// Numeric.
	signed := spec.typ == fields.TypeInt || spec.typ == fields.TypeRelTime
	nums := make([]num, 0, len(lits))
	for _, l := range lits {
		x, ok := parseNum(l.Text)
		if !ok {
			return nil, errAt(l.Pos, "%s is a %s field: %q is not a number", n.Field, spec.typ, l.Text)
		}
		nums = append(nums, x)
	}
	cmp := numOp(op)
	if op == "in" || op == "intersects" {
		return func(c *evalCtx, e fields.Event) bool {
			v, ok := c.get(e, si)
			if !ok {
				return false
			}
			x := valueNum(v, signed)
			for _, y := range nums {
				if x.cmp(y) == 0 {
					return true
				}
			}
			return false
		}, nil
	}
	y := nums[0]
	return func(c *evalCtx, e fields.Event) bool {
		v, ok := c.get(e, si)
		return ok && cmp(valueNum(v, signed).cmp(y))
	}, nil
}

func parseNet(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, err
		}
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-unmapBits(p.Addr())).Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func unmapBits(a netip.Addr) int {
	if a.Is4In6() {
		return 96
	}
	return 0
}

// num is a signed or unsigned integer, compared exactly across signs.
type num struct {
	neg bool   // value is negative: mag holds -value
	mag uint64 // magnitude
}

func parseNum(s string) (num, bool) {
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return num{mag: u}, true
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return intNum(i), true
	}
	if u, err := strconv.ParseUint(s, 0, 64); err == nil {
		return num{mag: u}, true
	}
	return num{}, false
}

func intNum(i int64) num {
	if i < 0 {
		return num{neg: true, mag: uint64(-(i + 1)) + 1}
	}
	return num{mag: uint64(i)}
}

func valueNum(v *fields.Value, signed bool) num {
	if signed {
		return intNum(v.Int)
	}
	return num{mag: v.Uint}
}

func (a num) cmp(b num) int {
	switch {
	case a.neg && !b.neg:
		return -1
	case !a.neg && b.neg:
		return 1
	}
	r := 0
	if a.mag < b.mag {
		r = -1
	} else if a.mag > b.mag {
		r = 1
	}
	if a.neg {
		r = -r
	}
	return r
}

func numOp(op string) func(int) bool {
	switch op {
	case "!=":
		return func(c int) bool { return c != 0 }
	case "<":
		return func(c int) bool { return c < 0 }
	case "<=":
		return func(c int) bool { return c <= 0 }
	case ">":
		return func(c int) bool { return c > 0 }
	case ">=":
		return func(c int) bool { return c >= 0 }
	}
	return func(c int) bool { return c == 0 }
}

// stringMatcher compiles a string operator against literal operands.
func stringMatcher(op string, lits []*condition.Scalar) (func(string) bool, error) {
	if len(lits) == 0 {
		return func(string) bool { return false }, nil
	}
	lit := lits[0].Text
	switch op {
	case "=":
		return func(s string) bool { return s == lit }, nil
	case "!=":
		return func(s string) bool { return s != lit }, nil
	case "<":
		return func(s string) bool { return s < lit }, nil
	case "<=":
		return func(s string) bool { return s <= lit }, nil
	case ">":
		return func(s string) bool { return s > lit }, nil
	case ">=":
		return func(s string) bool { return s >= lit }, nil
	case "contains":
		return func(s string) bool { return strings.Contains(s, lit) }, nil
	case "icontains":
		return func(s string) bool { return containsFold(s, lit) }, nil
	case "startswith":
		return func(s string) bool { return strings.HasPrefix(s, lit) }, nil
	case "endswith":
		return func(s string) bool { return strings.HasSuffix(s, lit) }, nil
	case "bcontains", "bstartswith":
		b, err := hex.DecodeString(strings.ReplaceAll(lit, " ", ""))
		if err != nil {
			return nil, errAt(lits[0].Pos, "%s takes hex bytes, e.g. 7f454c46; %q is not hex", op, lit)
		}
		bs := string(b)
		if op == "bcontains" {
			return func(s string) bool { return strings.Contains(s, bs) }, nil
		}
		return func(s string) bool { return strings.HasPrefix(s, bs) }, nil
	case "glob":
		return func(s string) bool { return glob(lit, s, false) }, nil
	case "iglob":
		return func(s string) bool { return glob(lit, s, true) }, nil
	case "regex":
		re, err := regexp.Compile(`^(?:` + lit + `)$`)
		if err != nil {
			return nil, errAt(lits[0].Pos, "bad regular expression %q: %v", lit, err)
		}
		return re.MatchString, nil
	case "pmatch":
		prefixes := make([]string, len(lits))
		for i, l := range lits {
			prefixes[i] = l.Text
		}
		return func(s string) bool {
			for _, p := range prefixes {
				if pathPrefix(s, p) {
					return true
				}
			}
			return false
		}, nil
	case "in", "intersects":
		if len(lits) <= 8 {
			set := make([]string, len(lits))
			for i, l := range lits {
				set[i] = l.Text
			}
			return func(s string) bool {
				for _, x := range set {
					if s == x {
						return true
					}
				}
				return false
			}, nil
		}
		set := make(map[string]struct{}, len(lits))
		for _, l := range lits {
			set[l.Text] = struct{}{}
		}
		return func(s string) bool { _, ok := set[s]; return ok }, nil
	}
	return nil, fmt.Errorf("operator %s is not supported on strings", op)
}

// compareFields compiles `field op val(other)`.
func (cc *compiler) compareFields(n *condition.CompareNode, si int, fv *condition.FieldValue) (cnode, error) {
	sj, err := cc.slot(fv.Field)
	if err != nil {
		return cnode{}, err
	}
	a, b := cc.prog.slots[si], cc.prog.slots[sj]
	if a.multi != fields.Single || b.multi != fields.Single {
		return cnode{}, errAt(fv.Pos, "val() compares single values; %s or %s has several", n.Field, fv.Field)
	}
	op := n.Op
	if op == "==" {
		op = "="
	}
	base := cnode{may: cc.all(), must: cc.none()}
	strLike := func(t fields.Type) bool { return t == fields.TypeString || t == fields.TypeBytes }
	str := func(v *fields.Value, t fields.Type) string {
		if t == fields.TypeBytes {
			return bytesString(v.Bytes)
		}
		return v.Str
	}
	switch {
	case strLike(a.typ) && strLike(b.typ):
		var f func(x, y string) bool
		switch op {
		case "=", "in", "intersects":
			f = func(x, y string) bool { return x == y }
		case "!=":
			f = func(x, y string) bool { return x != y }
		case "<":
			f = func(x, y string) bool { return x < y }
		case "<=":
			f = func(x, y string) bool { return x <= y }
		case ">":
			f = func(x, y string) bool { return x > y }
		case ">=":
			f = func(x, y string) bool { return x >= y }
		case "contains", "bcontains":
			f = strings.Contains
		case "icontains":
			f = containsFold
		case "startswith", "bstartswith":
			f = strings.HasPrefix
		case "endswith":
			f = strings.HasSuffix
		case "glob":
			f = func(x, y string) bool { return glob(y, x, false) }
		case "iglob":
			f = func(x, y string) bool { return glob(y, x, true) }
		case "pmatch":
			f = pathPrefix
		default:
			return cnode{}, errAt(n.OpPos, "operator %s cannot compare with val()", op)
		}
		at, bt := a.typ, b.typ
		base.fn = func(c *evalCtx, e fields.Event) bool {
			x, ok := c.get(e, si)
			if !ok {
				return false
			}
			y, ok := c.get(e, sj)
			return ok && f(str(x, at), str(y, bt))
		}
	case a.typ.Numeric() && b.typ.Numeric():
		cmp := numOp(op)
		if op != "=" && op != "!=" && op != "<" && op != "<=" && op != ">" && op != ">=" {
			return cnode{}, errAt(n.OpPos, "operator %s cannot compare numbers with val()", op)
		}
		as := a.typ == fields.TypeInt || a.typ == fields.TypeRelTime
		bs := b.typ == fields.TypeInt || b.typ == fields.TypeRelTime
		base.fn = func(c *evalCtx, e fields.Event) bool {
			x, ok := c.get(e, si)
			if !ok {
				return false
			}
			y, ok := c.get(e, sj)
			return ok && cmp(valueNum(x, as).cmp(valueNum(y, bs)))
		}
	case a.typ == b.typ || (a.typ == fields.TypeIPAddr && b.typ == fields.TypeIPNet) || (a.typ == fields.TypeIPNet && b.typ == fields.TypeIPAddr):
		if op != "=" && op != "!=" {
			return cnode{}, errAt(n.OpPos, "operator %s cannot compare %s values with val()", op, a.typ)
		}
		neg := op == "!="
		isBool := a.typ == fields.TypeBool
		base.fn = func(c *evalCtx, e fields.Event) bool {
			x, ok := c.get(e, si)
			if !ok {
				return false
			}
			y, ok := c.get(e, sj)
			if !ok {
				return false
			}
			if isBool {
				return (x.Bool == y.Bool) != neg
			}
			return (x.Addr == y.Addr) != neg
		}
	default:
		return cnode{}, errAt(fv.Pos, "cannot compare %s (%s) with %s (%s)", n.Field, a.typ, fv.Field, b.typ)
	}
	return base, nil
}
