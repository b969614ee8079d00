package rules

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/rules/internal/condition"
)

// Rule describes a loaded rule.
type Rule struct {
	Name        string         `json:"name"`
	Description string         `json:"desc"`
	Condition   string         `json:"condition"`
	Output      string         `json:"output"`
	Priority    alert.Priority `json:"priority"`
	Tags        []string       `json:"tags"`
	Source      string         `json:"source"`
	// Enabled is the state the rules files give the rule.
	Enabled    bool     `json:"enabled"`
	Exceptions []string `json:"exceptions,omitempty"`
	// Compiled is false for rules skipped for an unknown source or an
	// unknown field with skip-if-unknown-filter.
	Compiled bool `json:"compiled"`
	// EventTypes are the event types the rule can match; nil when it can
	// match every type or its source has none.
	EventTypes []string `json:"event_types,omitempty"`
	File       string   `json:"file"`
	Line       int      `json:"line"`
}

// Macro describes a loaded macro.
type Macro struct {
	Name      string `json:"name"`
	Condition string `json:"condition"`
	Used      bool   `json:"used"`
	File      string `json:"file"`
	Line      int    `json:"line"`
}

// List describes a loaded list, its items expanded.
type List struct {
	Name  string   `json:"name"`
	Items []string `json:"items"`
	Used  bool     `json:"used"`
	File  string   `json:"file"`
	Line  int      `json:"line"`
}

// Ruleset is a compiled set of rules. It is immutable and safe for
// concurrent use; evaluate it with an [Engine].
type Ruleset struct {
	rules    []*Rule
	macros   []*Macro
	lists    []*List
	programs map[string]*program
}

// compiledRule is a rule's compiled condition and output.
type compiledRule struct {
	info     *Rule
	cond     evalFn
	output   *outputFormat
	types    typeSet // event types the condition may match
	anyType  bool
	priority alert.Priority
}

func fileLine(p pos) (string, int) {
	if p.file == nil {
		return "", 0
	}
	return p.file.name, p.line
}

// finish resolves and compiles the merged items into a Ruleset.
func (l *loader) finish() *Ruleset {
	res := newResolver(l)
	rs := &Ruleset{programs: map[string]*program{}}
	// Parse every macro, in order, so that broken macros are reported even
	// when unused.
	macroNames := append([]string(nil), l.macroOrder...)
	sort.SliceStable(macroNames, func(i, j int) bool { return l.macros[macroNames[i]].order < l.macros[macroNames[j]].order })
	for _, n := range macroNames {
		res.macro(n)
	}
	ruleNames := append([]string(nil), l.ruleOrder...)
	sort.SliceStable(ruleNames, func(i, j int) bool { return l.rules[ruleNames[i]].order < l.rules[ruleNames[j]].order })
	for _, n := range ruleNames {
		rd := l.rules[n]
		info := &Rule{
			Name: rd.name, Description: rd.desc.s, Condition: rd.cond.s, Output: strings.TrimSpace(rd.output.s),
			Priority: rd.priority, Tags: sortedSet(rd.tags), Source: rd.source, Enabled: rd.enabled,
		}
		info.File, info.Line = fileLine(rd.pos)
		for _, e := range rd.exceptions {
			info.Exceptions = append(info.Exceptions, e.name)
		}
		rs.rules = append(rs.rules, info)
		l.res.Rules++
		l.compileRule(res, rs, rd, info)
		if info.Compiled && info.Enabled {
			l.res.EnabledRules++
		}
	}
	for _, p := range rs.programs {
		p.unmemoize()
	}
	for _, n := range macroNames {
		d := l.macros[n]
		m := &Macro{Name: d.name, Condition: d.cond.s, Used: d.used}
		m.File, m.Line = fileLine(d.pos)
		rs.macros = append(rs.macros, m)
		if !d.used {
			l.warnf(d.pos, "macro", d.name, "macro is not used by any rule or macro")
		}
	}
	l.res.Macros = len(rs.macros)
	listNames := append([]string(nil), l.listOrder...)
	sort.SliceStable(listNames, func(i, j int) bool { return l.lists[listNames[i]].order < l.lists[listNames[j]].order })
	for _, n := range listNames {
		d := l.lists[n]
		li := &List{Name: d.name, Items: res.lists[n], Used: d.used}
		li.File, li.Line = fileLine(d.pos)
		rs.lists = append(rs.lists, li)
		if !d.used {
			l.warnf(d.pos, "list", d.name, "list is not used by any rule, macro or list")
		}
	}
	l.res.Lists = len(rs.lists)
	return rs
}

func (l *loader) compileRule(res *resolver, rs *Ruleset, rd *ruleDef, info *Rule) {
	src, ok := l.sources.Source(rd.source)
	if !ok {
		l.warnf(rd.pos, "rule", rd.name, "rule for unknown source %q skipped (known sources: %s)", rd.source, strings.Join(l.sources.Names(), ", "))
		l.res.Skipped++
		return
	}
	// As in Falco, disabled rules are compiled too: an error in one fails
	// the load, so that enabling it later cannot surprise.
	report := func(err error) { res.report(err, rd.pos, "rule", rd.name) }
	tree, err := res.parse(rd.cond)
	if err == nil {
		tree, err = res.expand(tree, 0)
	}
	if err != nil {
		report(err)
		return
	}
	// Exceptions are checked even without values, so that a typo surfaces
	// before someone appends values to it.
	for _, e := range rd.exceptions {
		for i, f := range e.fields {
			if _, err := src.Resolve(f); err != nil {
				if errors.Is(err, fields.ErrUnknownField) && rd.skipUnknown {
					l.warnf(e.pos, "rule", rd.name, "rule skipped (skip-if-unknown-filter): exception %q: %v", e.name, err)
					l.res.Skipped++
					return
				}
				report(&posError{pos: res.anchor(e.pos), msg: fmt.Sprintf("exception %q: %v", e.name, err)})
				return
			}
			if !isOperator(e.comps[i]) {
				report(&posError{pos: res.anchor(e.pos), msg: fmt.Sprintf("exception %q: %q is not an operator (want one of %s)", e.name, e.comps[i], strings.Join(condition.Operators, " "))})
				return
			}
		}
	}
	if exc := res.exceptionsTree(rd); exc != nil {
		// Expanded like the condition: exception values may name lists.
		if exc, err = res.expand(exc, 0); err != nil {
			report(err)
			return
		}
		tree = &condition.AndNode{Pos: tree.Position(), Children: []condition.Node{tree, exc}}
	}
	prog := rs.programs[src.Name()]
	if prog == nil {
		prog = &program{source: src, ntypes: len(src.EventTypes()), byKey: map[string]int{}}
		rs.programs[src.Name()] = prog
	}
	cc := &compiler{prog: prog, res: res}
	// Compile into a scratch copy of the slot table so that a failing rule
	// leaves no half-built slots behind.
	nslots := len(prog.slots)
	rollback := func() {
		for _, s := range prog.slots[nslots:] {
			delete(prog.byKey, s.key)
		}
		prog.slots = prog.slots[:nslots]
	}
	cn, err := cc.compile(tree)
	if err == nil && prog.ntypes > 0 && !cn.may.isFull(prog.ntypes) {
		// Compile again knowing the rule's event types, so that evt.type
		// tests the index already guarantees cost nothing per event.
		cc.warnings, cc.ruleTypes = nil, cn.may
		cc.resetMemos()
		var again cnode
		if again, err = cc.compile(tree); err == nil {
			again.may, again.must = cn.may, cn.must
			cn = again
		}
	}
	if err != nil {
		rollback()
		if cc.unknownField && rd.skipUnknown {
			var pe *posError
			msg := err.Error()
			if errors.As(err, &pe) {
				msg = pe.msg
			}
			l.warnf(rd.pos, "rule", rd.name, "rule skipped (skip-if-unknown-filter): %s", msg)
			l.res.Skipped++
			return
		}
		report(err)
		return
	}
	// Falco trims outputs (block scalars end in a newline).
	outBase := res.anchorText(rd.output)
	outText := strings.TrimSpace(rd.output.s)
	outBase += len(rd.output.s) - len(strings.TrimLeft(rd.output.s, " \t\r\n\v\f"))
	if strings.Contains(outText, containerInfo) {
		// Falco drops the deprecated %container.info: the container
		// fields are appended to outputs by configuration instead.
		l.warnf(rd.pos, "rule", rd.name, "%s is deprecated and expands to nothing: container fields are added to outputs by append_output", containerInfo)
		outText = strings.ReplaceAll(outText, containerInfo, "")
	}
	of, err := cc.compileOutput(outText)
	if err != nil {
		rollback()
		var oe *outputError
		if errors.As(err, &oe) {
			report(&posError{pos: outBase + oe.off, msg: oe.msg})
		} else {
			report(err)
		}
		return
	}
	for _, w := range cc.warnings {
		l.warnf(rd.pos, "rule", rd.name, "%s", w)
	}
	cr := &compiledRule{info: info, cond: cn.fn, output: of, types: cn.may, priority: rd.priority}
	if prog.ntypes > 0 {
		cr.anyType = cn.may.isFull(prog.ntypes)
		if (cr.anyType || cn.may.count() > 100) && rd.warnEvttypes {
			l.warnf(rd.pos, "rule", rd.name, "rule matches too many evt.type values, which costs performance: restrict it with evt.type (or set warn_evttypes: false)")
		}
		if !cr.anyType {
			names := src.EventTypes()
			for i := range names {
				if cn.may.has(i) {
					info.EventTypes = append(info.EventTypes, names[i])
				}
			}
			if cn.may.isEmpty() {
				l.warnf(rd.pos, "rule", rd.name, "rule can never match: its evt.type conditions exclude every event type")
			}
		}
	} else {
		cr.anyType = true
	}
	info.Compiled = true
	cc.site(&cr.cond, cn)
	// Rules disabled in the files rarely run: their subexpressions do
	// not make others shared.
	cc.commitMemos(info.Enabled)
	prog.rules = append(prog.rules, cr)
}

const containerInfo = "%container.info"

// sortedSet returns the tags sorted and without duplicates: Falco keeps
// them in a set, so alerts list them that way.
func sortedSet(tags []string) []string {
	out := append([]string{}, tags...)
	sort.Strings(out)
	n := 0
	for i, t := range out {
		if i == 0 || t != out[n-1] {
			out[n] = t
			n++
		}
	}
	return out[:n]
}

func isOperator(op string) bool {
	for _, o := range condition.Operators {
		if o == op {
			return true
		}
	}
	return false
}

// anchorText registers a text for position lookups and returns its base.
func (r *resolver) anchorText(t text) int {
	base := len(r.texts) << posShift
	r.texts = append(r.texts, t)
	return base
}

// Rules returns every loaded rule in file order.
func (rs *Ruleset) Rules() []Rule {
	out := make([]Rule, len(rs.rules))
	for i, r := range rs.rules {
		out[i] = *r
	}
	return out
}

// Rule returns the rule with this name.
func (rs *Ruleset) Rule(name string) (Rule, bool) {
	for _, r := range rs.rules {
		if r.Name == name {
			return *r, true
		}
	}
	return Rule{}, false
}

// Macros returns every loaded macro in definition order.
func (rs *Ruleset) Macros() []Macro {
	out := make([]Macro, len(rs.macros))
	for i, m := range rs.macros {
		out[i] = *m
	}
	return out
}

// Lists returns every loaded list in definition order.
func (rs *Ruleset) Lists() []List {
	out := make([]List, len(rs.lists))
	for i, l := range rs.lists {
		out[i] = *l
	}
	return out
}

// EventTypes returns the event types that the rules of source selected by
// sel (nil: the rules enabled in the files) can match, sorted, for
// in-kernel filtering. all is true when some rule matches every type.
func (rs *Ruleset) EventTypes(source string, sel []Selection) (types []string, all bool) {
	p := rs.programs[source]
	if p == nil {
		return nil, false
	}
	if p.ntypes == 0 {
		return nil, true
	}
	set := newTypeSet(p.ntypes, false)
	for _, r := range p.rules {
		if !selected(r.info, sel) {
			continue
		}
		if r.anyType {
			return append([]string(nil), p.source.EventTypes()...), true
		}
		for w := range set {
			set[w] |= r.types[w]
		}
	}
	names := p.source.EventTypes()
	for i := range names {
		if set.has(i) {
			types = append(types, names[i])
		}
	}
	sort.Strings(types)
	return types, false
}

// Sources returns the names of the sources that have compiled rules.
func (rs *Ruleset) Sources() []string {
	var out []string
	for n := range rs.programs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
