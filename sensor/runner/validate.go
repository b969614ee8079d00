package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sakersec/saker/sensor/config"
	"github.com/sakersec/saker/sensor/rules"
)

// ValidateRules loads the rules cfg names as they would be once the files
// in replace (absolute path → contents) are installed, without touching
// the disk, and returns the load errors. A follower calls it before it
// installs a new version, so that a version which does not compile never
// replaces the files a restart would load.
func ValidateRules(cfg *config.Config, replace map[string][]byte) error {
	clean := make(map[string][]byte, len(replace))
	for p, d := range replace {
		clean[filepath.Clean(p)] = d
	}
	var contents []rules.Content
	add := func(p string) error {
		if d, ok := clean[p]; ok {
			contents = append(contents, rules.Content{Name: p, Data: d})
			return nil
		}
		d, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrRules, p, err)
		}
		contents = append(contents, rules.Content{Name: p, Data: d})
		return nil
	}
	for _, entry := range cfg.RulesFiles {
		p := filepath.Clean(entry)
		fi, err := os.Stat(p)
		switch {
		case err == nil && fi.IsDir():
			names := map[string]bool{}
			ents, err := os.ReadDir(p)
			if err != nil {
				return fmt.Errorf("%w: %s: %v", ErrRules, p, err)
			}
			for _, e := range ents {
				if !e.IsDir() && isRulesName(e.Name()) {
					names[e.Name()] = true
				}
			}
			for f := range clean {
				if filepath.Dir(f) == p && isRulesName(filepath.Base(f)) {
					names[filepath.Base(f)] = true
				}
			}
			sorted := make([]string, 0, len(names))
			for n := range names {
				sorted = append(sorted, n)
			}
			sort.Strings(sorted)
			for _, n := range sorted {
				if err := add(filepath.Join(p, n)); err != nil {
					return err
				}
			}
		case err == nil:
			if err := add(p); err != nil {
				return err
			}
		default:
			if _, ok := clean[p]; ok {
				contents = append(contents, rules.Content{Name: p, Data: clean[p]})
			}
		}
	}
	if len(contents) == 0 {
		return nil // the embedded defaults run
	}
	_, res, err := rules.Load(rules.LoadOptions{Contents: contents, Sources: Sources()})
	if err == nil {
		return nil
	}
	var b strings.Builder
	if res != nil {
		for _, d := range res.Errors() {
			b.WriteString("\n  ")
			b.WriteString(d.String())
		}
	}
	return fmt.Errorf("%w:%s", ErrRules, b.String())
}

func isRulesName(n string) bool {
	return strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")
}

// ValidateRules checks the sensor's running configuration with replace
// installed; see [ValidateRules].
func (s *Sensor) ValidateRules(replace map[string][]byte) error {
	return ValidateRules(s.config(), replace)
}

// RecordReloadError reports a version that was refused before it reached
// the disk (it does not compile) as a failed reload: the running rules
// stay, and /healthz and /metrics say why.
func (s *Sensor) RecordReloadError(reason string, err error) {
	s.Runner.reloads.Record(reason, err, 0, time.Now())
}
