package config

import (
	"errors"
	"io/fs"
)

// RulesPlan says which rules the sensor loads.
type RulesPlan struct {
	// Paths are the configured rules files and directories that exist, in
	// order.
	Paths []string
	// Missing are configured paths that do not exist.
	Missing []string
	// Embedded is true when the configuration is the default list and none
	// of it exists: the sensor then runs on its embedded default rules.
	Embedded bool
}

// PlanRules resolves rules_files against the file system. Falco skips
// missing default files silently; Saker does the same and falls back to
// its embedded rules only when the list is Falco's default and nothing in
// it exists, so installed rules in /etc/falco replace the embedded ones.
func (c *Config) PlanRules() RulesPlan {
	var p RulesPlan
	for _, f := range c.RulesFiles {
		files, err := expandDir(f, ".yaml", ".yml")
		if errors.Is(err, fs.ErrNotExist) {
			p.Missing = append(p.Missing, f)
			continue
		}
		if err == nil && len(files) == 0 {
			// An empty rules.d holds no rules: not a reason to drop the
			// embedded defaults.
			p.Missing = append(p.Missing, f)
			continue
		}
		p.Paths = append(p.Paths, f)
	}
	if len(p.Paths) == 0 && sameList(c.RulesFiles, DefaultRulesFiles) {
		p.Embedded = true
	}
	return p
}

func sameList(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
