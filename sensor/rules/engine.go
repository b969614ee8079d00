package rules

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/fields"
)

// Selection enables or disables rules by name or tag, as falco.yaml's
// `rules:` entries do. Rule is a name pattern where * matches any run of
// characters; Tag matches one of the rule's tags. Selections apply in
// order over the enabled state the rules files give.
type Selection struct {
	Enable bool
	Rule   string
	Tag    string
}

func selected(r *Rule, sel []Selection) bool {
	on := r.Enabled
	for _, s := range sel {
		match := false
		if s.Rule != "" {
			if ok, err := path.Match(strings.ReplaceAll(s.Rule, "/", "\x00"), strings.ReplaceAll(r.Name, "/", "\x00")); err == nil && ok {
				match = true
			}
		}
		if s.Tag != "" {
			for _, t := range r.Tags {
				if t == s.Tag {
					match = true
				}
			}
		}
		if match {
			on = s.Enable
		}
	}
	return on
}

// RuleMatching says what happens when several rules match one event.
type RuleMatching uint8

const (
	// MatchFirst emits only the first matching rule, in file order
	// (Falco's default).
	MatchFirst RuleMatching = iota
	// MatchAll emits every matching rule.
	MatchAll
)

// ParseRuleMatching parses falco.yaml's rule_matching (first or all).
func ParseRuleMatching(s string) (RuleMatching, error) {
	switch strings.ToLower(s) {
	case "", "first":
		return MatchFirst, nil
	case "all":
		return MatchAll, nil
	}
	return 0, fmt.Errorf("rule_matching %q: want first or all", s)
}

// EngineOptions configure an [Engine]. The zero value evaluates the
// syscall rules enabled in the files, first match only, every priority.
type EngineOptions struct {
	// Source is the event source the engine evaluates; "" means syscall.
	Source       string
	RuleMatching RuleMatching
	// MinPriority drops rules less severe than it (falco.yaml priority:);
	// "" means debug, i.e. every rule.
	MinPriority string
	Selection   []Selection
	Hostname    string
	// OnAlert receives every alert; it owns the alert.
	OnAlert func(*alert.Alert)
}

// Engine evaluates events of one source against a [Ruleset]. It is not
// safe for concurrent use: create one per goroutine.
type Engine struct {
	opts   EngineOptions
	prog   *program
	ctx    *evalCtx
	rules  []*compiledRule
	byType [][]int32 // candidate rules per event type
	any    []int32   // candidates for events of unknown type
	// condsByType and anyConds hold the conditions of byType and any,
	// side by side, so the loop over candidates reads no rule.
	condsByType [][]evalFn
	anyConds    []evalFn
	// matches counts matches per rule (index into rules), for metrics.
	matches []uint64
	events  uint64
}

// NewEngine builds an engine over the ruleset. A source with no compiled
// rules gives an engine that never matches.
func (rs *Ruleset) NewEngine(o EngineOptions) (*Engine, error) {
	if o.Source == "" {
		o.Source = fields.SyscallSourceName
	}
	minPrio := alert.PriorityDebug
	if o.MinPriority != "" {
		p, err := alert.ParsePriority(o.MinPriority)
		if err != nil {
			return nil, err
		}
		minPrio = p
	}
	e := &Engine{opts: o}
	p := rs.programs[o.Source]
	if p == nil {
		p = &program{byKey: map[string]int{}}
	}
	e.prog = p
	e.ctx = newEvalCtx(p)
	for _, r := range p.rules {
		if r.priority > minPrio || !selected(r.info, o.Selection) {
			continue
		}
		e.rules = append(e.rules, r)
	}
	e.matches = make([]uint64, len(e.rules))
	e.byType = make([][]int32, p.ntypes)
	e.condsByType = make([][]evalFn, p.ntypes)
	for i, r := range e.rules {
		if r.anyType {
			e.any = append(e.any, int32(i))
			e.anyConds = append(e.anyConds, r.cond)
		}
		for t := 0; t < p.ntypes; t++ {
			if r.anyType || r.types.has(t) {
				e.byType[t] = append(e.byType[t], int32(i))
				e.condsByType[t] = append(e.condsByType[t], r.cond)
			}
		}
	}
	return e, nil
}

// Rules returns the number of rules the engine evaluates.
func (e *Engine) Rules() int { return len(e.rules) }

// Process evaluates evt, which happened at ts, against the candidate rules
// for its event type in file order, sends an alert to OnAlert for each
// match (only the first with MatchFirst) and returns the number of
// matches. It allocates only for matches.
func (e *Engine) Process(evt fields.Event, ts time.Time) int {
	c := e.ctx
	c.gen++
	e.events++
	var cands []int32
	var conds []evalFn
	if t := evt.EventType(); t >= 0 && t < len(e.byType) {
		cands, conds = e.byType[t], e.condsByType[t]
	} else {
		cands, conds = e.any, e.anyConds
	}
	n := 0
	for i, cond := range conds {
		if !cond(c, evt) {
			continue
		}
		ri := cands[i]
		r := e.rules[ri]
		n++
		e.matches[ri]++
		if e.opts.OnAlert != nil {
			e.opts.OnAlert(e.alert(r, evt, ts))
		}
		if e.opts.RuleMatching == MatchFirst {
			break
		}
	}
	return n
}

func (e *Engine) alert(r *compiledRule, evt fields.Event, ts time.Time) *alert.Alert {
	out, ofs := r.output.format(e.ctx, evt)
	return &alert.Alert{
		Time:         ts,
		Rule:         r.info.Name,
		Priority:     r.priority,
		Source:       e.opts.Source,
		Tags:         r.info.Tags,
		Hostname:     e.opts.Hostname,
		Output:       out,
		OutputFields: ofs,
	}
}

// Stats are an engine's counters since it was created.
type Stats struct {
	Events uint64
	// Matches counts matches per rule name; rules that never matched are
	// absent.
	Matches map[string]uint64
}

// Stats returns the engine's counters. Call it from the goroutine that
// calls Process.
func (e *Engine) Stats() Stats {
	st := Stats{Events: e.events, Matches: map[string]uint64{}}
	for i, n := range e.matches {
		if n > 0 {
			st.Matches[e.rules[i].info.Name] += n
		}
	}
	return st
}
