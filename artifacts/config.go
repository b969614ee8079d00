package artifacts

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Requirement names that the install checks.
const (
	RequirementEngine    = "engine_version_semver"
	RequirementPluginAPI = "plugin_api_version"
)

// Config is the JSON of an artifact's config blob, field for field as
// falcoctl writes it.
type Config struct {
	Name         string        `json:"name,omitempty"`
	Version      string        `json:"version,omitempty"`
	Dependencies []Dependency  `json:"dependencies,omitempty"`
	Requirements []Requirement `json:"requirements,omitempty"`
}

// Requirement is a capability the artifact needs from the engine, e.g.
// engine_version_semver 0.31.0.
type Requirement struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Dependency is another artifact (normally a plugin) this one needs, at
// a compatible version, or one of its alternatives.
type Dependency struct {
	Name         string        `json:"name"`
	Version      string        `json:"version"`
	Alternatives []Alternative `json:"alternatives,omitempty"`
}

// Alternative is an artifact that can stand in for a dependency.
type Alternative struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// SetRequirement adds or replaces the requirement name, keeping the list
// sorted by name as falcoctl does.
func (c *Config) SetRequirement(name, version string) {
	for i := range c.Requirements {
		if c.Requirements[i].Name == name {
			c.Requirements[i].Version = version
			return
		}
	}
	c.Requirements = append(c.Requirements, Requirement{Name: name, Version: version})
	sort.SliceStable(c.Requirements, func(i, j int) bool { return c.Requirements[i].Name < c.Requirements[j].Name })
}

// SetDependency adds or replaces the dependency d (by name), keeping the
// list sorted by name.
func (c *Config) SetDependency(d Dependency) {
	sort.SliceStable(d.Alternatives, func(i, j int) bool { return d.Alternatives[i].Name < d.Alternatives[j].Name })
	for i := range c.Dependencies {
		if c.Dependencies[i].Name == d.Name {
			c.Dependencies[i] = d
			return
		}
	}
	c.Dependencies = append(c.Dependencies, d)
	sort.SliceStable(c.Dependencies, func(i, j int) bool { return c.Dependencies[i].Name < c.Dependencies[j].Name })
}

// ParseRequirements adds requirements written "name:version".
func (c *Config) ParseRequirements(reqs ...string) error {
	for _, r := range reqs {
		name, ver, err := splitNameVersion(r)
		if err != nil {
			return fmt.Errorf("--requires %q: %w", r, err)
		}
		c.SetRequirement(name, ver)
	}
	return nil
}

// ParseDependencies adds dependencies written "name:version", with
// alternatives after '|': "k8saudit:0.7.0|k8saudit-eks:0.4.0".
func (c *Config) ParseDependencies(deps ...string) error {
	for _, d := range deps {
		var dep Dependency
		for i, part := range strings.Split(d, "|") {
			name, ver, err := splitNameVersion(part)
			if err != nil {
				return fmt.Errorf("--depends-on %q: %w", d, err)
			}
			if i == 0 {
				dep.Name, dep.Version = name, ver
			} else {
				dep.Alternatives = append(dep.Alternatives, Alternative{Name: name, Version: ver})
			}
		}
		c.SetDependency(dep)
	}
	return nil
}

func splitNameVersion(s string) (string, string, error) {
	name, ver, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || name == "" || ver == "" || strings.Contains(ver, ":") {
		return "", "", fmt.Errorf("%w: want name:version", ErrInvalid)
	}
	if _, err := parseVersion(ver); err != nil {
		return "", "", fmt.Errorf("%w: version %q is not semver", ErrInvalid, ver)
	}
	return name, ver, nil
}

// rulesHeader holds the items of a Falco rules file that feed the config.
type rulesHeader struct {
	RequiredEngineVersion  any `yaml:"required_engine_version"`
	RequiredPluginVersions []struct {
		Name         string `yaml:"name"`
		Version      string `yaml:"version"`
		Alternatives []struct {
			Name    string `yaml:"name"`
			Version string `yaml:"version"`
		} `yaml:"alternatives"`
	} `yaml:"required_plugin_versions"`
}

// ConfigFromRules reads the required_engine_version and
// required_plugin_versions items of a Falco rules YAML into c: plugin
// versions become dependencies, the engine version becomes the
// engine_version_semver requirement (an integer N means 0.N.0, Falco's
// old numbering). Explicit values already in c win. Data that is not a
// YAML list of items is left alone: the caller decides whether that is an
// error.
func (c *Config) ConfigFromRules(data []byte) error {
	var items []rulesHeader
	if err := yaml.Unmarshal(data, &items); err != nil {
		return fmt.Errorf("%w: not a Falco rules file: %v", ErrInvalid, err)
	}
	for _, it := range items {
		if it.RequiredEngineVersion != nil && !c.hasRequirement(RequirementEngine) {
			v, err := engineVersion(it.RequiredEngineVersion)
			if err != nil {
				return err
			}
			c.SetRequirement(RequirementEngine, v)
		}
		for _, p := range it.RequiredPluginVersions {
			if p.Name == "" || c.hasDependency(p.Name) {
				continue
			}
			d := Dependency{Name: p.Name, Version: p.Version}
			for _, a := range p.Alternatives {
				d.Alternatives = append(d.Alternatives, Alternative{Name: a.Name, Version: a.Version})
			}
			c.SetDependency(d)
		}
	}
	return nil
}

func engineVersion(v any) (string, error) {
	switch x := v.(type) {
	case int:
		return fmt.Sprintf("0.%d.0", x), nil
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return fmt.Sprintf("0.%d.0", n), nil
		}
		if _, err := parseVersion(x); err != nil {
			return "", fmt.Errorf("required_engine_version %q: %w: want an integer or a semver version", x, ErrInvalid)
		}
		return strings.TrimSpace(x), nil
	}
	return "", fmt.Errorf("required_engine_version %v: %w: want an integer or a semver version", v, ErrInvalid)
}

func (c *Config) hasRequirement(name string) bool {
	for _, r := range c.Requirements {
		if r.Name == name {
			return true
		}
	}
	return false
}

func (c *Config) hasDependency(name string) bool {
	for _, d := range c.Dependencies {
		if d.Name == name {
			return true
		}
	}
	return false
}
