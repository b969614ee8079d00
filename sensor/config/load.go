package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ErrInvalid marks a configuration Saker cannot run with: malformed YAML,
// a value of the wrong type, a bad -o override.
var ErrInvalid = errors.New("invalid configuration")

// Warning is a problem that does not stop the sensor: an unknown key or a
// Falco feature Saker does not implement.
type Warning struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (w Warning) String() string {
	loc := w.File
	if w.Line > 0 {
		loc += ":" + strconv.Itoa(w.Line)
	}
	if loc == "" {
		loc = "config"
	}
	if w.Key != "" {
		return fmt.Sprintf("%s: %s: %s", loc, w.Key, w.Msg)
	}
	return loc + ": " + w.Msg
}

// LoadOptions say where the configuration comes from.
type LoadOptions struct {
	// File is the falco.yaml to read (-c). Empty means DefaultConfigFile if
	// it exists, else the built-in defaults.
	File string
	// Overrides are -o key=value settings, applied in order after the files.
	// Keys are dotted paths; name[N] indexes a list and name[] appends to it.
	// Values are YAML (true, 5, [a,b], {k: v}); anything else is a string.
	Overrides []string
	// RulesFiles (-r) replace rules_files when not empty.
	RulesFiles []string
}

// Load builds the configuration: defaults, then the file (and the files
// named by its config_files), then overrides. The warnings list keys it did
// not understand; the error is non-nil only when the sensor cannot run.
func Load(o LoadOptions) (*Config, []Warning, error) {
	file := o.File
	explicit := file != ""
	if !explicit {
		file = DefaultConfigFile
	}
	var ws []Warning
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	src := map[*yaml.Node]string{}
	data, err := os.ReadFile(file)
	switch {
	case err == nil:
		n, err := parseYAML(file, data)
		if err != nil {
			return nil, nil, err
		}
		if n != nil {
			root = n
		}
		markSource(root, file, src)
		cf, w, err := loadConfigFiles(root, file, src)
		ws = append(ws, w...)
		if err != nil {
			return nil, ws, err
		}
		_ = cf
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		file = ""
	default:
		return nil, nil, fmt.Errorf("%w: reading %s: %v (pass an existing file with -c)", ErrInvalid, file, err)
	}
	for _, ov := range o.Overrides {
		if err := applyOverride(root, ov); err != nil {
			return nil, ws, err
		}
	}
	ws = append(ws, unknownKeys(root, reflect.TypeOf(Config{}), "", file, src)...)
	cfg := Default()
	if len(root.Content) > 0 {
		// Decoding over the defaults keeps them for absent keys; lists that
		// are present replace the default list.
		clearPresentLists(cfg, root)
		if err := root.Decode(cfg); err != nil {
			return nil, ws, fmt.Errorf("%w: %s: %v", ErrInvalid, orDefault(file, "-o overrides"), err)
		}
	}
	if len(cfg.RulesFile) > 0 && !hasKey(root, "rules_files") {
		cfg.RulesFiles = cfg.RulesFile
	}
	if len(o.RulesFiles) > 0 {
		cfg.RulesFiles = append([]string(nil), o.RulesFiles...)
	}
	ws = append(ws, cfg.unsupported(file)...)
	if err := cfg.validate(file); err != nil {
		return nil, ws, err
	}
	return cfg, ws, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func parseYAML(file string, data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %s: %v (fix the YAML)", ErrInvalid, file, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	n := doc.Content[0]
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: %s:%d: the configuration must be a YAML mapping of keys", ErrInvalid, file, n.Line)
	}
	return n, nil
}

// markSource records which file each node came from, for warnings.
func markSource(n *yaml.Node, file string, src map[*yaml.Node]string) {
	src[n] = file
	for _, c := range n.Content {
		markSource(c, file, src)
	}
}

// loadConfigFiles merges the files and directories named by config_files.
func loadConfigFiles(root *yaml.Node, mainFile string, src map[*yaml.Node]string) ([]string, []Warning, error) {
	v := mapGet(root, "config_files")
	if v == nil || v.Kind != yaml.SequenceNode {
		return nil, nil, nil
	}
	var entries []ConfigFile
	if err := v.Decode(&entries); err != nil {
		return nil, nil, fmt.Errorf("%w: %s:%d: config_files: %v", ErrInvalid, mainFile, v.Line, err)
	}
	var loaded []string
	var ws []Warning
	for _, e := range entries {
		p := e.Path
		if p != "" && !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(mainFile), p)
		}
		files, err := expandDir(p, ".yaml", ".yml")
		if errors.Is(err, fs.ErrNotExist) {
			continue // Falco's default config.d usually does not exist.
		}
		if err != nil {
			ws = append(ws, Warning{File: mainFile, Line: v.Line, Key: "config_files", Msg: err.Error()})
			continue
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return loaded, ws, fmt.Errorf("%w: reading %s (named by config_files in %s): %v", ErrInvalid, f, mainFile, err)
			}
			n, err := parseYAML(f, data)
			if err != nil {
				return loaded, ws, err
			}
			if n == nil {
				continue
			}
			markSource(n, f, src)
			mergeMap(root, n, e.Strategy)
			loaded = append(loaded, f)
		}
	}
	return loaded, ws, nil
}

// expandDir returns p if it is a file, or its files with one of exts in
// lexical order if it is a directory.
func expandDir(p string, exts ...string) ([]string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{p}, nil
	}
	des, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, de := range des {
		if de.IsDir() {
			continue
		}
		for _, e := range exts {
			if strings.HasSuffix(de.Name(), e) {
				out = append(out, filepath.Join(p, de.Name()))
				break
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func mergeMap(dst, src *yaml.Node, strategy string) {
	for i := 0; i+1 < len(src.Content); i += 2 {
		k, v := src.Content[i], src.Content[i+1]
		j := mapIndex(dst, k.Value)
		switch {
		case j < 0:
			dst.Content = append(dst.Content, k, v)
		case strategy == "add-only":
		case strategy == "override":
			dst.Content[j+1] = v
		default:
			old := dst.Content[j+1]
			switch {
			case old.Kind == yaml.MappingNode && v.Kind == yaml.MappingNode:
				mergeMap(old, v, strategy)
			case old.Kind == yaml.SequenceNode && v.Kind == yaml.SequenceNode:
				old.Content = append(old.Content, v.Content...)
			default:
				dst.Content[j+1] = v
			}
		}
	}
}

func mapIndex(m *yaml.Node, key string) int {
	if m == nil || m.Kind != yaml.MappingNode {
		return -1
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i
		}
	}
	return -1
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	if i := mapIndex(m, key); i >= 0 {
		return m.Content[i+1]
	}
	return nil
}

func hasKey(m *yaml.Node, key string) bool { return mapIndex(m, key) >= 0 }

// applyOverride sets one -o key=value.
func applyOverride(root *yaml.Node, ov string) error {
	key, val, ok := strings.Cut(ov, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return fmt.Errorf("%w: -o %q: want key=value, e.g. -o json_output=true", ErrInvalid, ov)
	}
	var vdoc yaml.Node
	var v *yaml.Node
	if err := yaml.Unmarshal([]byte(val), &vdoc); err == nil && len(vdoc.Content) > 0 {
		v = vdoc.Content[0]
	} else {
		v = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: val}
	}
	if val == "" {
		v = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: ""}
	}
	cur := root
	parts := strings.Split(key, ".")
	for i, p := range parts {
		last := i == len(parts)-1
		name, idx, hasIdx, err := splitIndex(p)
		if err != nil {
			return fmt.Errorf("%w: -o %q: %v", ErrInvalid, ov, err)
		}
		if cur.Kind != yaml.MappingNode {
			return fmt.Errorf("%w: -o %q: %s is not a mapping", ErrInvalid, ov, strings.Join(parts[:i], "."))
		}
		j := mapIndex(cur, name)
		if !hasIdx {
			if last {
				if j >= 0 {
					cur.Content[j+1] = v
				} else {
					cur.Content = append(cur.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}, v)
				}
				return nil
			}
			if j < 0 || cur.Content[j+1].Kind != yaml.MappingNode {
				m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				if j >= 0 {
					cur.Content[j+1] = m
				} else {
					cur.Content = append(cur.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}, m)
				}
				cur = m
			} else {
				cur = cur.Content[j+1]
			}
			continue
		}
		var seq *yaml.Node
		if j < 0 || cur.Content[j+1].Kind != yaml.SequenceNode {
			seq = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			if j >= 0 {
				cur.Content[j+1] = seq
			} else {
				cur.Content = append(cur.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}, seq)
			}
		} else {
			seq = cur.Content[j+1]
		}
		if idx < 0 { // name[]: append
			if last {
				seq.Content = append(seq.Content, v)
				return nil
			}
			m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			seq.Content = append(seq.Content, m)
			cur = m
			continue
		}
		if idx > len(seq.Content) {
			return fmt.Errorf("%w: -o %q: index %d is past the end of %s (length %d)", ErrInvalid, ov, idx, name, len(seq.Content))
		}
		if idx == len(seq.Content) {
			seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
		}
		if last {
			seq.Content[idx] = v
			return nil
		}
		if seq.Content[idx].Kind != yaml.MappingNode {
			seq.Content[idx] = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		}
		cur = seq.Content[idx]
	}
	return nil
}

// splitIndex parses "name", "name[3]" or "name[]" (idx -1).
func splitIndex(p string) (name string, idx int, hasIdx bool, err error) {
	open := strings.IndexByte(p, '[')
	if open < 0 {
		if p == "" {
			return "", 0, false, errors.New("empty key segment")
		}
		return p, 0, false, nil
	}
	if !strings.HasSuffix(p, "]") || open == 0 {
		return "", 0, false, fmt.Errorf("bad key segment %q: want name, name[N] or name[]", p)
	}
	in := p[open+1 : len(p)-1]
	if in == "" {
		return p[:open], -1, true, nil
	}
	n, err := strconv.Atoi(in)
	if err != nil || n < 0 {
		return "", 0, false, fmt.Errorf("bad index in %q", p)
	}
	return p[:open], n, true, nil
}

// clearPresentLists empties default lists that the file sets, so that
// yaml's decode (which appends into existing slices) replaces them.
func clearPresentLists(cfg *Config, root *yaml.Node) {
	if hasKey(root, "rules_files") {
		cfg.RulesFiles = nil
	}
	if hasKey(root, "append_output") {
		cfg.AppendOutput = nil
	}
}

// lenient lists the paths under which any key is accepted: free-form
// plugin configuration and tuning sections Saker ignores as a whole.
var lenient = map[string]bool{
	"plugins[].init_config": true,
	"metrics":               true,
}

var (
	ignoredType  = reflect.TypeOf(Ignored{})
	selfDecoding = reflect.TypeOf((*interface{ UnmarshalYAML(func(any) error) error })(nil)).Elem()
)

// unknownKeys walks the YAML against the Config type and warns about every
// key that has no field.
func unknownKeys(n *yaml.Node, t reflect.Type, path, defFile string, src map[*yaml.Node]string) []Warning {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	// Types that decode themselves (string-or-mapping forms) check their
	// own shape.
	if lenient[path] || t == ignoredType || reflect.PointerTo(t).Implements(selfDecoding) {
		return nil
	}
	var ws []Warning
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if tag != "" && tag != "-" {
				fields[tag] = f.Type
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			ft, ok := fields[k.Value]
			if !ok {
				ws = append(ws, Warning{File: fileOf(k, defFile, src), Line: k.Line, Key: p, Msg: "unknown key, ignored (check the spelling against falco.yaml)"})
				continue
			}
			ws = append(ws, unknownKeys(n.Content[i+1], ft, p, defFile, src)...)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for _, c := range n.Content {
			ws = append(ws, unknownKeys(c, t.Elem(), path+"[]", defFile, src)...)
		}
	}
	return ws
}

func fileOf(n *yaml.Node, def string, src map[*yaml.Node]string) string {
	if f, ok := src[n]; ok {
		return f
	}
	if def == "" {
		return "-o"
	}
	return def + " (-o)"
}
