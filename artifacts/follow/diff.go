package follow

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// ItemChanges are the names of items of one kind that a new version
// adds, removes or modifies.
type ItemChanges struct {
	Added    []string `json:"added,omitempty"`
	Removed  []string `json:"removed,omitempty"`
	Modified []string `json:"modified,omitempty"`
}

// Empty reports whether nothing changed.
func (c ItemChanges) Empty() bool {
	return len(c.Added) == 0 && len(c.Removed) == 0 && len(c.Modified) == 0
}

// FileChanges are the changes of one rules file between two versions.
type FileChanges struct {
	File   string      `json:"file"`
	Rules  ItemChanges `json:"rules"`
	Macros ItemChanges `json:"macros"`
	Lists  ItemChanges `json:"lists"`
	// Error is set when a version is not a YAML list of items; the
	// changes are then unknown.
	Error string `json:"error,omitempty"`
}

// Summary is one line for logs: "rules +1 (New rule) ~1 (Old rule);
// lists -1 (gone)".
func (c FileChanges) Summary() string {
	if c.Error != "" {
		return "changes unknown: " + c.Error
	}
	var parts []string
	for _, k := range []struct {
		name string
		ch   ItemChanges
	}{{"rules", c.Rules}, {"macros", c.Macros}, {"lists", c.Lists}} {
		if k.ch.Empty() {
			continue
		}
		var b strings.Builder
		b.WriteString(k.name)
		for _, s := range []struct {
			sign  string
			names []string
		}{{"+", k.ch.Added}, {"-", k.ch.Removed}, {"~", k.ch.Modified}} {
			if len(s.names) > 0 {
				fmt.Fprintf(&b, " %s%d (%s)", s.sign, len(s.names), strings.Join(s.names, ", "))
			}
		}
		parts = append(parts, b.String())
	}
	if len(parts) == 0 {
		return "no rule, macro or list changed"
	}
	return strings.Join(parts, "; ")
}

// DiffFiles compares two versions of a rulesfile artifact, given as file
// path → contents, item by item. Files are matched by base name, since a
// new version may install into another directory. Only files whose items
// changed are returned, in name order.
func DiffFiles(old, new map[string][]byte) []FileChanges {
	byBase := func(m map[string][]byte) map[string][]byte {
		out := make(map[string][]byte, len(m))
		for p, d := range m {
			out[filepath.Base(p)] = d
		}
		return out
	}
	ob, nb := byBase(old), byBase(new)
	names := sortedKeys(ob)
	for n := range nb {
		if _, ok := ob[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var out []FileChanges
	for _, n := range names {
		c := DiffRules(ob[n], nb[n])
		c.File = n
		if c.Error != "" || !c.Rules.Empty() || !c.Macros.Empty() || !c.Lists.Empty() {
			out = append(out, c)
		}
	}
	return out
}

// DiffRules compares two versions of one rules file. A nil version is an
// absent file. Items defined several times (appends, overrides) are
// compared as a whole.
func DiffRules(old, new []byte) FileChanges {
	var c FileChanges
	oi, err := items(old)
	if err != nil {
		c.Error = "previous version: " + err.Error()
		return c
	}
	ni, err := items(new)
	if err != nil {
		c.Error = "new version: " + err.Error()
		return c
	}
	for _, kind := range []string{"rule", "macro", "list"} {
		var ch ItemChanges
		o, n := oi[kind], ni[kind]
		for _, name := range sortedKeys(n) {
			prev, ok := o[name]
			switch {
			case !ok:
				ch.Added = append(ch.Added, name)
			case !bytes.Equal(prev, n[name]):
				ch.Modified = append(ch.Modified, name)
			}
		}
		for _, name := range sortedKeys(o) {
			if _, ok := n[name]; !ok {
				ch.Removed = append(ch.Removed, name)
			}
		}
		switch kind {
		case "rule":
			c.Rules = ch
		case "macro":
			c.Macros = ch
		default:
			c.Lists = ch
		}
	}
	return c
}

// items maps kind → name → the canonical YAML of every definition of the
// item, so that comments and formatting do not count as changes.
func items(data []byte) (map[string]map[string][]byte, error) {
	out := map[string]map[string][]byte{"rule": {}, "macro": {}, "list": {}}
	if len(bytes.TrimSpace(data)) == 0 {
		return out, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(doc.Content) == 0 {
			continue
		}
		seq := doc.Content[0]
		if seq.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("line %d: not a list of rules, macros and lists", seq.Line)
		}
		for _, it := range seq.Content {
			if it.Kind != yaml.MappingNode {
				continue
			}
			for i := 0; i+1 < len(it.Content); i += 2 {
				kind := it.Content[i].Value
				if _, ok := out[kind]; !ok {
					continue
				}
				canon, err := yaml.Marshal(stripComments(it))
				if err != nil {
					return nil, err
				}
				name := it.Content[i+1].Value
				out[kind][name] = append(out[kind][name], canon...)
				break
			}
		}
	}
}

func stripComments(n *yaml.Node) *yaml.Node {
	c := *n
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	c.Line, c.Column = 0, 0
	c.Style = 0
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, k := range n.Content {
			c.Content[i] = stripComments(k)
		}
	}
	return &c
}
