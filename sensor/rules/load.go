package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sakersec/saker/internal/version"
	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/fields"
)

// Content is an in-memory rules file.
type Content struct {
	// Name is what diagnostics call the file.
	Name string
	Data []byte
}

// LoadOptions say what to load and against which sources.
type LoadOptions struct {
	// Files are rules files or directories, loaded in order; a directory
	// loads its *.yaml and *.yml files in name order.
	Files []string
	// Contents are loaded after Files, in order.
	Contents []Content
	// Sources are the event sources rules may name. Nil means
	// [fields.Default]: declared syscall and k8s_audit sources without
	// extraction, enough to validate rules.
	Sources *fields.Registry
	// EngineVersion is the engine version checked against
	// required_engine_version; empty means [version.EngineVersionSemver].
	EngineVersion string
	// Plugins are the plugin versions checked against
	// required_plugin_versions; nil means [version.BuiltinPlugins].
	Plugins map[string]string
}

// Load reads, merges and compiles rules files. It returns the Ruleset (nil
// when any file has errors), the Result with counts and diagnostics, and
// the Result's error. A malformed file never panics.
func Load(o LoadOptions) (*Ruleset, *Result, error) {
	l := newLoader(o)
	for _, p := range o.Files {
		l.loadPath(p)
	}
	for _, c := range o.Contents {
		l.loadBytes(c.Name, c.Data)
	}
	rs := l.finish()
	res := l.res
	res.sortDiagnostics()
	if err := res.Err(); err != nil {
		return nil, res, err
	}
	return rs, res, nil
}

// Item definitions, merged across files. order is the position of the
// first definition: redefinitions and appends keep it.

// As in Falco, every item (definition, redefinition, append, override)
// takes the next number of one counter: order is the number of the first
// definition (its position), visibility the number of the latest change.
// A macro sees the macros whose order is below its visibility, so a macro
// redefined in a later file may use macros defined before the
// redefinition; lists likewise.
type listDef struct {
	name       string
	items      []string
	pos        pos
	order      int
	visibility int
	used       bool
}

type macroDef struct {
	name       string
	cond       text
	pos        pos
	order      int
	visibility int
	used       bool
}

type exception struct {
	name   string
	fields []string
	comps  []string
	// values: one row per exception match, one entry per field; an entry
	// is a string or, for list comparisons, a []string.
	values  [][]any
	single  bool // fields given as a scalar: one field, values are items
	pos     pos
	hasDefn bool
}

type ruleDef struct {
	name         string
	desc         text
	cond         text
	output       text
	priority     alert.Priority
	tags         []string
	enabled      bool
	source       string
	exceptions   []*exception
	skipUnknown  bool
	warnEvttypes bool
	pos          pos
	order        int
}

type loader struct {
	opts    LoadOptions
	sources *fields.Registry
	res     *Result
	lists   map[string]*listDef
	macros  map[string]*macroDef
	rules   map[string]*ruleDef
	order   int
	// macro and list order across files, for visibility and warnings.
	listOrder, macroOrder, ruleOrder []string
}

// next returns the next item number.
func (l *loader) next() int {
	l.order++
	return l.order
}

func newLoader(o LoadOptions) *loader {
	src := o.Sources
	if src == nil {
		src = fields.Default()
	}
	return &loader{
		opts:    o,
		sources: src,
		res:     &Result{},
		lists:   map[string]*listDef{},
		macros:  map[string]*macroDef{},
		rules:   map[string]*ruleDef{},
	}
}

func (l *loader) errorf(p pos, kind, item, format string, args ...any) {
	l.res.add(p.diag(kind, item, fmt.Sprintf(format, args...)), false)
}

func (l *loader) warnf(p pos, kind, item, format string, args ...any) {
	l.res.add(p.diag(kind, item, fmt.Sprintf(format, args...)), true)
}

func (l *loader) loadPath(p string) {
	st, err := os.Stat(p)
	if err != nil {
		l.res.add(Diagnostic{File: p, Message: fmt.Sprintf("cannot read rules: %v", err)}, false)
		return
	}
	if !st.IsDir() {
		data, err := os.ReadFile(p)
		if err != nil {
			l.res.add(Diagnostic{File: p, Message: fmt.Sprintf("cannot read rules: %v", err)}, false)
			return
		}
		l.loadBytes(p, data)
		return
	}
	ents, err := os.ReadDir(p)
	if err != nil {
		l.res.add(Diagnostic{File: p, Message: fmt.Sprintf("cannot read rules directory: %v", err)}, false)
		return
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		l.loadPath(filepath.Join(p, n))
	}
}

func (l *loader) loadBytes(name string, data []byte) {
	f := newSrcFile(name, data)
	l.res.file(name)
	// A file may hold several YAML documents; each is a list of items.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			line, msg := 0, err.Error()
			// yaml.v3 reports "yaml: line N: ..."; lift the line into the position.
			if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
				if i := strings.Index(rest, ":"); i > 0 {
					if n, err := strconv.Atoi(rest[:i]); err == nil {
						line, msg = n, "invalid YAML:"+rest[i+1:]
					}
				}
			}
			l.res.add(Diagnostic{File: name, Line: line, Col: 1, Message: msg}, false)
			return
		}
		if len(doc.Content) == 0 {
			continue
		}
		top := doc.Content[0]
		if top.Kind == yaml.ScalarNode && top.Tag == "!!null" {
			continue
		}
		if top.Kind != yaml.SequenceNode {
			l.errorf(nodePos(f, top), "", "", "a rules file must be a YAML list of rule, macro and list items, got a %s", kindName(top))
			return
		}
		for _, item := range top.Content {
			if item.Kind == yaml.ScalarNode && item.Tag == "!!null" {
				continue // an empty "-" entry, which Falco skips
			}
			l.loadItem(f, item)
		}
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "scalar"
}

// mapping is a YAML mapping with its keys in order.
type mapping struct {
	keys []string
	key  map[string]*yaml.Node
	val  map[string]*yaml.Node
}

func toMapping(n *yaml.Node) (*mapping, error) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("expected a mapping, got a %s", kindName(n))
	}
	m := &mapping{key: map[string]*yaml.Node{}, val: map[string]*yaml.Node{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		if _, dup := m.key[k.Value]; dup {
			return nil, fmt.Errorf("line %d: key %q appears twice", k.Line, k.Value)
		}
		m.keys = append(m.keys, k.Value)
		m.key[k.Value] = k
		m.val[k.Value] = v
	}
	return m, nil
}

func (m *mapping) has(k string) bool { _, ok := m.val[k]; return ok }

// itemCtx carries the file and item being read, for diagnostics.
type itemCtx struct {
	l    *loader
	f    *srcFile
	kind string
	name string
	m    *mapping
	node *yaml.Node
	bad  bool
}

func (c *itemCtx) errorf(n *yaml.Node, format string, args ...any) {
	c.bad = true
	if n == nil {
		n = c.node
	}
	c.l.errorf(nodePos(c.f, n), c.kind, c.name, format, args...)
}

func (c *itemCtx) str(key string) (string, *yaml.Node, bool) {
	v, ok := c.m.val[key]
	if !ok {
		return "", nil, false
	}
	if v.Kind != yaml.ScalarNode {
		c.errorf(v, "%s must be a string, got a %s", key, kindName(v))
		return "", v, false
	}
	if v.Tag == "!!null" {
		return "", v, true
	}
	return v.Value, v, true
}

func (c *itemCtx) boolean(key string) (bool, bool) {
	v, ok := c.m.val[key]
	if !ok {
		return false, false
	}
	var b bool
	if v.Kind != yaml.ScalarNode || v.Decode(&b) != nil {
		c.errorf(v, "%s must be true or false, got %q", key, v.Value)
		return false, false
	}
	return b, true
}

func (c *itemCtx) strings(key string) ([]string, bool) {
	v, ok := c.m.val[key]
	if !ok {
		return nil, false
	}
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return []string{}, true
	}
	if v.Kind != yaml.SequenceNode {
		c.errorf(v, "%s must be a list, got a %s", key, kindName(v))
		return nil, false
	}
	out := make([]string, 0, len(v.Content))
	for _, it := range v.Content {
		if it.Kind != yaml.ScalarNode {
			c.errorf(it, "%s items must be strings, got a %s", key, kindName(it))
			return nil, false
		}
		out = append(out, it.Value)
	}
	return out, true
}

func (l *loader) loadItem(f *srcFile, n *yaml.Node) {
	m, err := toMapping(n)
	if err != nil {
		l.errorf(nodePos(f, n), "", "", "rules file items must be mappings (- rule: ..., - macro: ..., - list: ...): %v", err)
		return
	}
	c := &itemCtx{l: l, f: f, m: m, node: n}
	fr := l.res.file(f.name)
	switch {
	case m.has("rule"):
		c.kind = "rule"
		fr.Rules++
		l.loadRule(c, n)
	case m.has("macro"):
		c.kind = "macro"
		fr.Macros++
		l.loadMacro(c, n)
	case m.has("list"):
		c.kind = "list"
		fr.Lists++
		l.loadList(c, n)
	case m.has("required_engine_version"):
		l.checkEngineVersion(c, m.val["required_engine_version"])
	case m.has("required_plugin_versions"):
		l.checkPluginVersions(c, m.val["required_plugin_versions"])
	default:
		k := ""
		if len(m.keys) > 0 {
			k = m.keys[0]
		}
		l.warnf(nodePos(f, n), "", "", "unknown item %q ignored: want rule, macro, list, required_engine_version or required_plugin_versions", k)
	}
}

func (c *itemCtx) itemName() bool {
	v := c.m.val[c.kind]
	if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
		c.errorf(v, "%s name must be a non-empty string", c.kind)
		return false
	}
	c.name = v.Value
	return true
}

// deprecatedAppend reads `append:` and warns when it is set, as Falco does.
func (c *itemCtx) deprecatedAppend() bool {
	app, _ := c.boolean("append")
	if app {
		c.l.warnf(nodePos(c.f, c.m.key["append"]), c.kind, c.name, "append: true is deprecated: use override: {KEY: append}")
	}
	return app
}

// identName checks that a macro or list name is an identifier, as
// conditions can only name such.
func (c *itemCtx) identName() bool {
	for i := 0; i < len(c.name); i++ {
		ch := c.name[i]
		if ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (i > 0 && ch >= '0' && ch <= '9') {
			continue
		}
		c.errorf(c.m.val[c.kind], "%s name %q is not an identifier: use letters, digits and _, not starting with a digit", c.kind, c.name)
		return false
	}
	return true
}

// checkKeys reports unknown keys as warnings, as Falco does for forward
// compatibility.
func (c *itemCtx) checkKeys(known ...string) {
	for _, k := range c.m.keys {
		ok := false
		for _, w := range known {
			if k == w {
				ok = true
				break
			}
		}
		if !ok {
			c.l.warnf(nodePos(c.f, c.m.key[k]), c.kind, c.name, "unknown key %q ignored", k)
		}
	}
}

// overrides reads `override:` (key → append|replace) and checks that it
// covers exactly the other keys of the item.
func (c *itemCtx) overrides(appendable, replaceable []string) (map[string]string, bool) {
	v, ok := c.m.val["override"]
	if !ok {
		return nil, true
	}
	om, err := toMapping(v)
	if err != nil {
		c.errorf(v, "override: %v", err)
		return nil, false
	}
	out := map[string]string{}
	in := func(list []string, k string) bool {
		for _, x := range list {
			if x == k {
				return true
			}
		}
		return false
	}
	for _, k := range om.keys {
		mode := om.val[k].Value
		switch mode {
		case "append":
			if !in(appendable, k) {
				c.errorf(om.key[k], "key %q cannot be appended to (appendable: %s)", k, strings.Join(appendable, ", "))
				return nil, false
			}
		case "replace":
			if !in(replaceable, k) {
				c.errorf(om.key[k], "key %q cannot be replaced (replaceable: %s)", k, strings.Join(replaceable, ", "))
				return nil, false
			}
		default:
			c.errorf(om.val[k], "override of %q must be append or replace, got %q", k, mode)
			return nil, false
		}
		if !c.m.has(k) {
			c.errorf(om.key[k], "override names key %q but the item does not set it", k)
			return nil, false
		}
		out[k] = mode
	}
	for _, k := range c.m.keys {
		if k == c.kind || k == "override" {
			continue
		}
		if _, ok := out[k]; !ok && (in(appendable, k) || in(replaceable, k)) {
			c.errorf(c.m.key[k], "key %q is set but not listed under override: add %s: append or replace", k, k)
			return nil, false
		}
	}
	if c.m.has("append") {
		c.errorf(c.m.key["append"], "append and override cannot be used together: use override only")
		return nil, false
	}
	return out, true
}

func (l *loader) loadList(c *itemCtx, n *yaml.Node) {
	if !c.itemName() || !c.identName() {
		return
	}
	c.checkKeys("list", "items", "append", "override")
	ov, ok := c.overrides([]string{"items"}, []string{"items"})
	if !ok {
		return
	}
	app := c.deprecatedAppend()
	v, has := c.m.val["items"]
	if !has {
		c.errorf(n, "list has no items: add items: [...]")
		return
	}
	var items []string
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
	case v.Kind == yaml.SequenceNode:
		for _, it := range v.Content {
			if it.Kind != yaml.ScalarNode {
				c.errorf(it, "list items must be strings or numbers, got a %s", kindName(it))
				return
			}
			items = append(items, it.Value)
		}
	default:
		c.errorf(v, "items must be a list, got a %s", kindName(v))
		return
	}
	if c.bad {
		return
	}
	old := l.lists[c.name]
	p := nodePos(c.f, n)
	if app || ov["items"] == "append" {
		if old == nil {
			c.errorf(n, "list has append but no list %q is defined before it", c.name)
			return
		}
		old.items = append(old.items, items...)
		old.visibility = l.next()
		return
	}
	if old != nil {
		old.items, old.pos, old.visibility = items, p, l.next()
		return
	}
	id := l.next()
	l.lists[c.name] = &listDef{name: c.name, items: items, pos: p, order: id, visibility: id}
	l.listOrder = append(l.listOrder, c.name)
}

func (l *loader) loadMacro(c *itemCtx, n *yaml.Node) {
	if !c.itemName() || !c.identName() {
		return
	}
	c.checkKeys("macro", "condition", "append", "override", "source")
	ov, ok := c.overrides([]string{"condition"}, []string{"condition"})
	if !ok {
		return
	}
	app := c.deprecatedAppend()
	_, cn, has := c.str("condition")
	if c.bad {
		return
	}
	if !has {
		c.errorf(n, "macro has no condition: add condition: ...")
		return
	}
	old := l.macros[c.name]
	cond := newText(c.f, cn)
	if app || ov["condition"] == "append" {
		if old == nil {
			c.errorf(n, "macro has append but no macro %q is defined before it", c.name)
			return
		}
		old.cond = old.cond.appendText(cond)
		old.visibility = l.next()
		return
	}
	if old != nil {
		old.cond, old.pos, old.visibility = cond, nodePos(c.f, n), l.next()
		return
	}
	id := l.next()
	l.macros[c.name] = &macroDef{name: c.name, cond: cond, pos: nodePos(c.f, n), order: id, visibility: id}
	l.macroOrder = append(l.macroOrder, c.name)
}

var ruleKeys = []string{"rule", "desc", "condition", "output", "priority", "tags", "enabled", "source",
	"exceptions", "skip-if-unknown-filter", "warn_evttypes", "append", "override", "capture", "capture_duration"}

func (l *loader) loadRule(c *itemCtx, n *yaml.Node) {
	if !c.itemName() {
		return
	}
	c.checkKeys(ruleKeys...)
	ov, ok := c.overrides(
		[]string{"condition", "output", "desc", "tags", "exceptions"},
		[]string{"condition", "output", "desc", "priority", "tags", "exceptions", "enabled", "warn_evttypes", "skip-if-unknown-filter"})
	if !ok {
		return
	}
	app := c.deprecatedAppend()
	old := l.rules[c.name]
	p := nodePos(c.f, n)

	// Read every key that is present.
	var r ruleDef
	_, descN, hasDesc := c.str("desc")
	_, condN, hasCond := c.str("condition")
	_, outN, hasOut := c.str("output")
	prioS, prioN, hasPrio := c.str("priority")
	tags, hasTags := c.strings("tags")
	enabled, hasEnabled := c.boolean("enabled")
	source, srcN, hasSource := c.str("source")
	skip, hasSkip := c.boolean("skip-if-unknown-filter")
	warnEvt, hasWarn := c.boolean("warn_evttypes")
	excs, hasExc := c.exceptions()
	if hasPrio {
		pr, err := alert.ParsePriority(prioS)
		if err != nil {
			c.errorf(prioN, "%v", err)
		}
		r.priority = pr
	}
	if hasSource && strings.TrimSpace(source) == "" {
		c.errorf(srcN, "source must not be empty")
	}
	if c.bad {
		return
	}
	if hasDesc {
		r.desc = newText(c.f, descN)
	}
	if hasCond {
		r.cond = newText(c.f, condN)
	}
	if hasOut {
		r.output = newText(c.f, outN)
	}

	// Falco: an entry with none of condition, output, desc and priority
	// only toggles an existing rule.
	onlyEnabled := !hasCond && !hasOut && !hasDesc && !hasPrio && !app && len(ov) == 0
	if app {
		// The deprecated append: true appends condition and exceptions
		// only; Falco ignores the other keys.
		for _, k := range c.m.keys {
			switch k {
			case "rule", "append", "condition", "exceptions":
			default:
				c.l.warnf(nodePos(c.f, c.m.key[k]), "rule", c.name, "key %q is ignored with append: true: use override", k)
			}
		}
		hasOut, hasDesc, hasTags, hasPrio, hasEnabled, hasSource, hasSkip, hasWarn = false, false, false, false, false, false, false, false
	}
	switch {
	case app || len(ov) > 0:
		if old == nil {
			c.errorf(n, "rule has append or override but no rule %q is defined before it", c.name)
			return
		}
		mode := func(k string) string {
			if app {
				switch k {
				case "condition", "output", "desc", "tags", "exceptions":
					return "append"
				}
				return "replace"
			}
			return ov[k]
		}
		if hasCond {
			if mode("condition") == "append" {
				old.cond = old.cond.appendText(r.cond)
			} else {
				old.cond = r.cond
			}
		}
		if hasOut {
			if mode("output") == "append" {
				old.output = old.output.appendText(r.output)
			} else {
				old.output = r.output
			}
		}
		if hasDesc {
			if mode("desc") == "append" {
				old.desc = old.desc.appendText(r.desc)
			} else {
				old.desc = r.desc
			}
		}
		if hasTags {
			if mode("tags") == "append" {
				old.tags = append(old.tags, tags...)
			} else {
				old.tags = tags
			}
		}
		if hasExc {
			if mode("exceptions") == "append" {
				c.appendExceptions(old, excs)
			} else {
				old.exceptions = excs
			}
		}
		if hasPrio {
			old.priority = r.priority
		}
		if hasEnabled {
			old.enabled = enabled
		}
		if hasSource {
			c.l.warnf(nodePos(c.f, c.m.key["source"]), "rule", c.name, "source cannot be changed by an override or append and is ignored")
		}
		if hasSkip {
			old.skipUnknown = skip
		}
		if hasWarn {
			old.warnEvttypes = warnEvt
		}
	case onlyEnabled:
		if !hasEnabled {
			c.errorf(n, "rule is missing required key(s) condition, output, desc, priority (or enabled, to toggle an existing rule)")
			return
		}
		if old == nil {
			c.errorf(n, "rule only sets enabled but no rule %q is defined before it", c.name)
			return
		}
		c.l.warnf(nodePos(c.f, n), "rule", c.name, "an entry with only enabled is deprecated: use override: {enabled: replace}")
		old.enabled = enabled
	default:
		var missing []string
		for _, k := range []string{"condition", "output", "desc", "priority"} {
			if !c.m.has(k) {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			c.errorf(n, "rule is missing required key(s) %s", strings.Join(missing, ", "))
			return
		}
		for _, e := range excs {
			if !e.hasDefn {
				c.errorf(nil, "exception %q has no fields", e.name)
			}
		}
		r.name, r.tags, r.exceptions, r.pos = c.name, tags, excs, p
		r.enabled, r.source, r.skipUnknown, r.warnEvttypes = true, fields.SyscallSourceName, skip, true
		if hasEnabled {
			r.enabled = enabled
		}
		if hasSource {
			r.source = source
		}
		if hasWarn {
			r.warnEvttypes = warnEvt
		}
		if old != nil {
			if old.source != r.source {
				c.errorf(n, "rule is redefined with source %s but was defined with source %s", r.source, old.source)
				return
			}
			l.next()
			r.order = old.order
			*old = r
			return
		}
		r.order = l.next()
		l.rules[c.name] = &r
		l.ruleOrder = append(l.ruleOrder, c.name)
	}
}

// exceptions reads a rule's exceptions key.
func (c *itemCtx) exceptions() ([]*exception, bool) {
	v, ok := c.m.val["exceptions"]
	if !ok {
		return nil, false
	}
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil, true
	}
	if v.Kind != yaml.SequenceNode {
		c.errorf(v, "exceptions must be a list, got a %s", kindName(v))
		return nil, false
	}
	var out []*exception
	seen := map[string]bool{}
	for _, en := range v.Content {
		em, err := toMapping(en)
		if err != nil {
			c.errorf(en, "exception: %v", err)
			return nil, false
		}
		e := &exception{pos: nodePos(c.f, en)}
		nn, ok := em.val["name"]
		if !ok || nn.Kind != yaml.ScalarNode || nn.Value == "" {
			c.errorf(en, "exception has no name")
			return nil, false
		}
		e.name = nn.Value
		if seen[e.name] {
			c.errorf(nn, "exception %q is defined twice", e.name)
			return nil, false
		}
		seen[e.name] = true
		for _, k := range em.keys {
			switch k {
			case "name", "fields", "comps", "values":
			default:
				c.l.warnf(nodePos(c.f, em.key[k]), c.kind, c.name, "exception %q: unknown key %q ignored", e.name, k)
			}
		}
		if fn, ok := em.val["fields"]; ok {
			e.hasDefn = true
			switch fn.Kind {
			case yaml.ScalarNode:
				e.fields, e.single = []string{fn.Value}, true
			case yaml.SequenceNode:
				for _, x := range fn.Content {
					if x.Kind != yaml.ScalarNode {
						c.errorf(x, "exception %q: fields must be field names", e.name)
						return nil, false
					}
					e.fields = append(e.fields, x.Value)
				}
			default:
				c.errorf(fn, "exception %q: fields must be a field or a list of fields", e.name)
				return nil, false
			}
			if cn, ok := em.val["comps"]; ok {
				switch {
				case cn.Kind == yaml.ScalarNode && e.single:
					e.comps = []string{strings.ToLower(cn.Value)}
					if op := e.comps[0]; op != "in" && op != "pmatch" && op != "intersects" {
						c.errorf(cn, "exception %q: with one field (not a list), comps must be in, pmatch or intersects, got %q", e.name, op)
						return nil, false
					}
				case cn.Kind == yaml.SequenceNode && !e.single:
					for _, x := range cn.Content {
						e.comps = append(e.comps, strings.ToLower(x.Value))
					}
				default:
					c.errorf(cn, "exception %q: comps must be a list like fields (one operator when fields is one field)", e.name)
					return nil, false
				}
			} else {
				for range e.fields {
					e.comps = append(e.comps, "=")
				}
				if e.single {
					e.comps = []string{"in"}
				}
			}
			if len(e.comps) != len(e.fields) {
				c.errorf(en, "exception %q: %d fields but %d comps", e.name, len(e.fields), len(e.comps))
				return nil, false
			}
		}
		if vn, ok := em.val["values"]; ok {
			rows, ok := c.exceptionValues(e, vn)
			if !ok {
				return nil, false
			}
			e.values = rows
		}
		out = append(out, e)
	}
	return out, true
}

func (c *itemCtx) exceptionValues(e *exception, vn *yaml.Node) ([][]any, bool) {
	if vn.Kind == yaml.ScalarNode && vn.Tag == "!!null" {
		return nil, true
	}
	if vn.Kind != yaml.SequenceNode {
		c.errorf(vn, "exception %q: values must be a list", e.name)
		return nil, false
	}
	var rows [][]any
	for _, row := range vn.Content {
		if e.single || (e.hasDefn == false && row.Kind == yaml.ScalarNode) {
			// Single-field form: each value is one item.
			if row.Kind != yaml.ScalarNode {
				c.errorf(row, "exception %q: with one field, values are plain items", e.name)
				return nil, false
			}
			rows = append(rows, []any{row.Value})
			continue
		}
		if row.Kind != yaml.SequenceNode {
			c.errorf(row, "exception %q: each value must be a list with one entry per field", e.name)
			return nil, false
		}
		var r []any
		for _, x := range row.Content {
			switch x.Kind {
			case yaml.ScalarNode:
				r = append(r, x.Value)
			case yaml.SequenceNode:
				var items []string
				for _, it := range x.Content {
					if it.Kind != yaml.ScalarNode {
						c.errorf(it, "exception %q: nested values must be strings", e.name)
						return nil, false
					}
					items = append(items, it.Value)
				}
				r = append(r, items)
			default:
				c.errorf(x, "exception %q: values must be strings or lists", e.name)
				return nil, false
			}
		}
		if e.hasDefn && len(r) != len(e.fields) {
			c.errorf(row, "exception %q: value has %d entries but the exception has %d fields", e.name, len(r), len(e.fields))
			return nil, false
		}
		rows = append(rows, r)
	}
	return rows, true
}

// appendExceptions merges appended exceptions: values of an existing
// exception are extended, new exceptions are added.
func (c *itemCtx) appendExceptions(r *ruleDef, excs []*exception) {
	for _, e := range excs {
		var cur *exception
		for _, o := range r.exceptions {
			if o.name == e.name {
				cur = o
			}
		}
		if cur == nil {
			if !e.hasDefn {
				c.errorf(nil, "appended exception %q has no fields and no exception of that name exists", e.name)
				continue
			}
			r.exceptions = append(r.exceptions, e)
			continue
		}
		if e.hasDefn {
			c.errorf(nil, "exception %q already exists: an append may only add values", e.name)
			continue
		}
		for _, row := range e.values {
			if len(row) != len(cur.fields) && !cur.single {
				c.errorf(nil, "exception %q: appended value has %d entries but the exception has %d fields", e.name, len(row), len(cur.fields))
				continue
			}
			cur.values = append(cur.values, row)
		}
	}
}

func (l *loader) checkEngineVersion(c *itemCtx, v *yaml.Node) {
	if v.Kind != yaml.ScalarNode {
		c.errorf(v, "required_engine_version must be a version, got a %s", kindName(v))
		return
	}
	want := v.Value
	if n, err := strconv.Atoi(want); err == nil {
		want = fmt.Sprintf("0.%d.0", n)
	}
	have := l.opts.EngineVersion
	if have == "" {
		have = version.EngineVersionSemver
	}
	wv, ok := parseSemver(want)
	if !ok {
		c.errorf(v, "required_engine_version %q is not a version", v.Value)
		return
	}
	hv, _ := parseSemver(have)
	if compareSemver(hv, wv) < 0 {
		c.errorf(v, "rules require engine version %s but this engine is %s", want, have)
	}
}

func (l *loader) checkPluginVersions(c *itemCtx, v *yaml.Node) {
	if v.Kind != yaml.SequenceNode {
		c.errorf(v, "required_plugin_versions must be a list")
		return
	}
	plugins := l.opts.Plugins
	if plugins == nil {
		plugins = version.BuiltinPlugins
	}
	type req struct {
		name, version string
		node          *yaml.Node
	}
	for _, pn := range v.Content {
		m, err := toMapping(pn)
		if err != nil {
			c.errorf(pn, "required_plugin_versions: %v", err)
			continue
		}
		var alts []req
		add := func(m *mapping, n *yaml.Node) {
			name, ver := "", ""
			if x := m.val["name"]; x != nil {
				name = x.Value
			}
			if x := m.val["version"]; x != nil {
				ver = x.Value
			}
			alts = append(alts, req{name, ver, n})
		}
		add(m, pn)
		if an := m.val["alternatives"]; an != nil && an.Kind == yaml.SequenceNode {
			for _, a := range an.Content {
				if am, err := toMapping(a); err == nil {
					add(am, a)
				}
			}
		}
		if alts[0].name == "" {
			c.errorf(pn, "required_plugin_versions entry has no name")
			continue
		}
		satisfied, found := false, false
		for _, a := range alts {
			have, ok := plugins[a.name]
			if !ok {
				continue
			}
			found = true
			hv, ok1 := parseSemver(have)
			wv, ok2 := parseSemver(a.version)
			if !ok2 || (ok1 && hv[0] == wv[0] && compareSemver(hv, wv) >= 0) {
				satisfied = true
			}
		}
		switch {
		case satisfied:
		case found:
			c.errorf(pn, "plugin %s %s is required but the built-in version is %s", alts[0].name, alts[0].version, plugins[alts[0].name])
		default:
			l.warnf(nodePos(c.f, pn), "", "", "required plugin %s %s is not built in; rules that need its fields will fail to compile", alts[0].name, alts[0].version)
		}
	}
}

func parseSemver(s string) ([3]int, bool) {
	var v [3]int
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) == 0 || len(parts) > 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

func compareSemver(a, b [3]int) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
