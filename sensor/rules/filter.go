package rules

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/fields"
)

// ErrFilter is wrapped by the error [CompileFilter] returns for a condition
// that does not compile; the message says where (column) and why.
var ErrFilter = errors.New("invalid filter condition")

// filterRule names the synthetic rule a filter compiles to. It cannot
// collide with a rule from a file: rule names there are YAML scalars and
// this one holds a NUL.
const filterRule = "\x00filter"

// FilterOptions configure [CompileFilter].
type FilterOptions struct {
	// Condition is a condition in the rules language, as a rule's
	// `condition:` would hold it. Empty matches every event.
	Condition string
	// Source is the event source the condition is about; "" means syscall.
	Source string
	// Sources are the sources with extraction; nil means [fields.Default]
	// (declarations only: everything compiles, nothing extracts).
	Sources *fields.Registry
	// Files and Contents are rules files whose lists and macros the
	// condition may use (their rules are compiled too, and must load).
	Files    []string
	Contents []Content
}

// Filter is a compiled bare condition, the way `sakerctl capture read`
// and recording filters use the rules language. It is not safe for
// concurrent use: compile one per goroutine.
type Filter struct {
	eng *Engine
	// Warnings are the compiler's warnings about the condition ("can never
	// match", ...), formatted for people.
	Warnings []string
}

// CompileFilter compiles a condition against a source exactly as a rule's
// condition is compiled (lists, macros, operators, evt.type indexing), so
// that a filter and a rule agree on every event.
func CompileFilter(o FilterOptions) (*Filter, error) {
	if strings.TrimSpace(o.Condition) == "" {
		return &Filter{}, nil
	}
	source := o.Source
	if source == "" {
		source = fields.SyscallSourceName
	}
	l := newLoader(LoadOptions{Sources: o.Sources})
	for _, p := range o.Files {
		l.loadPath(p)
	}
	for _, c := range o.Contents {
		l.loadBytes(c.Name, c.Data)
	}
	if _, ok := l.sources.Source(source); !ok {
		return nil, fmt.Errorf("%w: unknown source %q (known sources: %s)", ErrFilter, source, strings.Join(l.sources.Names(), ", "))
	}
	// The condition is its own one-line "file", so positions in it are
	// columns of the text the user typed.
	f := newSrcFile("filter", []byte(o.Condition))
	node := &yaml.Node{Kind: yaml.ScalarNode, Value: o.Condition, Line: 1, Column: 1}
	l.order++
	l.rules[filterRule] = &ruleDef{
		name: filterRule, cond: newText(f, node), priority: alert.PriorityDebug,
		enabled: true, source: source, pos: pos{file: f, line: 1, col: 1}, order: l.order,
	}
	l.ruleOrder = append(l.ruleOrder, filterRule)
	rs := l.finish()
	l.res.sortDiagnostics()

	var own, others []string
	flt := &Filter{}
	for _, d := range l.res.Errors() {
		if d.Item == filterRule {
			own = append(own, fmt.Sprintf("column %d: %s", d.Col, d.Message))
		} else {
			others = append(others, d.String())
		}
	}
	for _, d := range l.res.Warnings() {
		if d.Item == filterRule {
			flt.Warnings = append(flt.Warnings, d.Message)
		}
	}
	switch {
	case len(own) > 0:
		return nil, fmt.Errorf("%w %q: %s", ErrFilter, o.Condition, strings.Join(own, "; "))
	case len(others) > 0:
		return nil, fmt.Errorf("%w: the rules files it uses do not load:\n  %s", ErrFilter, strings.Join(others, "\n  "))
	}
	eng, err := rs.NewEngine(EngineOptions{
		Source:    source,
		Selection: []Selection{{Enable: false, Rule: "*"}, {Enable: true, Rule: filterRule}},
	})
	if err != nil {
		return nil, err
	}
	flt.eng = eng
	return flt, nil
}

// Match reports whether evt satisfies the condition. It allocates nothing.
func (f *Filter) Match(evt fields.Event) bool {
	if f.eng == nil {
		return true
	}
	return f.eng.Process(evt, time.Time{}) > 0
}
