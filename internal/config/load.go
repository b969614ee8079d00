package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"gopkg.in/yaml.v3"
)

// Load reads the configuration file at path. A missing file yields the
// zero Config (defaults) and no error; a malformed one names the file and
// line. Keys sakerctl does not know (falcoctl's driver settings, say) are
// ignored, so a real falcoctl.yaml loads unchanged. Environment overrides
// are applied by ApplyEnv.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading config %s: %w", path, err)
	}
	return Parse(data, path)
}

// Parse decodes and validates a configuration; source names it in errors,
// which read "config source:line: key: problem".
func Parse(data []byte, source string) (*Config, error) {
	cfg := &Config{}
	if len(bytes.TrimSpace(data)) == 0 {
		return cfg, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("config %s: %w (fix the YAML or pass another file with --config)", source, err)
	}
	if len(doc.Content) == 0 {
		return cfg, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return cfg, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("config %s:%d: the configuration must be a YAML mapping (indexes, registry, artifact, ...)", source, root.Line)
	}
	if err := root.Decode(cfg); err != nil {
		return nil, fmt.Errorf("config %s: %w (fix the file or pass another one with --config)", source, err)
	}
	if err := cfg.Validate(); err != nil {
		var pe *pathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("config %s:%d: %w", source, lineOf(root, pe.path), err)
		}
		return nil, fmt.Errorf("config %s: %w", source, err)
	}
	return cfg, nil
}

// lineOf returns the line of the deepest node of path that exists.
func lineOf(n *yaml.Node, path []any) int {
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch p := p.(type) {
		case int:
			if n.Kind == yaml.SequenceNode && p < len(n.Content) {
				next = n.Content[p]
			}
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == p {
						next = n.Content[i+1]
						line = n.Content[i].Line
					}
				}
			}
		}
		if next == nil {
			return line
		}
		n, line = next, next.Line
	}
	return line
}
