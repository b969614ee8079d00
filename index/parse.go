package index

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// nameRe is what an artifact name may look like: it is used in references
// such as "name:tag" and "name@digest", so ':', '@' and '/' are out.
var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Parse decodes and validates an index.yaml. source names the file or URL in
// error messages, which read "source:line: what is wrong". Every entry needs
// a name, type, registry and repository; names are unique. Unknown keys are
// ignored so that indexes written by newer tools still load. An empty
// document is an empty index.
func Parse(data []byte, source string) ([]Entry, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidIndex, source, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	if root.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%w: %s:%d: an index is a YAML list of artifact entries, found %s (is the URL right?)",
			ErrInvalidIndex, source, root.Line, kindName(root))
	}
	entries := make([]Entry, 0, len(root.Content))
	seen := make(map[string]int, len(root.Content))
	for i, item := range root.Content {
		if item.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%w: %s:%d: entry %d is %s, want a mapping with name, type, registry and repository",
				ErrInvalidIndex, source, item.Line, i+1, kindName(item))
		}
		var e Entry
		if err := item.Decode(&e); err != nil {
			return nil, fmt.Errorf("%w: %s:%d: entry %d: %v", ErrInvalidIndex, source, item.Line, i+1, stripYAMLPrefix(err))
		}
		if err := validateEntry(&e, item); err != nil {
			return nil, fmt.Errorf("%w: %s:%s", ErrInvalidIndex, source, err)
		}
		if first, dup := seen[e.Name]; dup {
			return nil, fmt.Errorf("%w: %s:%d: duplicate artifact name %q (first defined at line %d); names must be unique in an index",
				ErrInvalidIndex, source, keyLine(item, "name"), e.Name, first)
		}
		seen[e.Name] = keyLine(item, "name")
		entries = append(entries, e)
	}
	return entries, nil
}

// validateEntry returns "line: entry NAME: problem" (without the source).
func validateEntry(e *Entry, item *yaml.Node) error {
	label := "entry"
	if e.Name != "" {
		label = fmt.Sprintf("entry %q", e.Name)
	}
	for _, f := range []struct{ key, val string }{
		{"name", e.Name}, {"type", e.Type}, {"registry", e.Registry}, {"repository", e.Repository},
	} {
		if strings.TrimSpace(f.val) == "" {
			return fmt.Errorf("%d: %s: missing %s", item.Line, label, f.key)
		}
	}
	if !nameRe.MatchString(e.Name) {
		return fmt.Errorf("%d: %s: name may contain only letters, digits, '.', '_' and '-'", keyLine(item, "name"), label)
	}
	if strings.Contains(e.Registry, "://") || strings.ContainsAny(e.Registry, " \t/") {
		return fmt.Errorf("%d: %s: registry %q must be a host[:port] without scheme or path", keyLine(item, "registry"), label, e.Registry)
	}
	if strings.HasPrefix(e.Repository, "/") || strings.ContainsAny(e.Repository, " \t:@") {
		return fmt.Errorf("%d: %s: repository %q must be a path without tag or digest", keyLine(item, "repository"), label, e.Repository)
	}
	return nil
}

// keyLine returns the line of key in mapping m, or m's line.
func keyLine(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return m.Line
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	default:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return fmt.Sprintf("the scalar %q", v)
	}
}

// stripYAMLPrefix drops yaml.v3's "yaml: unmarshal errors:\n  " preamble so
// the message fits on one line after our own position prefix.
func stripYAMLPrefix(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "yaml: unmarshal errors:\n")
	s = strings.TrimPrefix(s, "yaml: ")
	return strings.Join(strings.Fields(s), " ")
}

// Marshal writes entries as an index.yaml.
func Marshal(entries []Entry) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(entries); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
