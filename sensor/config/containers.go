package config

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"gopkg.in/yaml.v3"
)

// ContainerEngines say where container metadata comes from, as falco.yaml
// configures it: the container plugin's init_config (Falco 0.41 and
// later) or the older container_engines key.
type ContainerEngines struct {
	Docker, Podman, CRI EngineSettings
	// ContainerdSockets are the container plugin's containerd engine
	// sockets. Saker does not speak containerd's native API; they are
	// asked through the CRI API after the CRI sockets.
	ContainerdSockets []string
	// LabelMaxLen is label_max_len (0: the default).
	LabelMaxLen int
	// Timeout is engine_timeout (0: the default).
	Timeout time.Duration
}

// EngineSettings configure one runtime API.
type EngineSettings struct {
	Disabled bool
	// Sockets replace the defaults when not empty.
	Sockets []string
}

// LegacyContainerEngines is the container_engines key of Falco before the
// container plugin.
type LegacyContainerEngines struct {
	Docker     LegacyEngine `yaml:"docker"`
	CRI        LegacyCRI    `yaml:"cri"`
	Podman     LegacyEngine `yaml:"podman"`
	LXC        LegacyEngine `yaml:"lxc"`
	LibvirtLXC LegacyEngine `yaml:"libvirt_lxc"`
	BPM        LegacyEngine `yaml:"bpm"`
}

// LegacyEngine is one container_engines entry.
type LegacyEngine struct {
	Enabled *bool `yaml:"enabled"`
}

// LegacyCRI is container_engines.cri.
type LegacyCRI struct {
	Enabled      *bool    `yaml:"enabled"`
	Sockets      []string `yaml:"sockets"`
	DisableAsync bool     `yaml:"disable_async"`
}

// containerPlugin is the container plugin's init_config.
type containerPlugin struct {
	LabelMaxLen   *int                    `yaml:"label_max_len"`
	WithSize      bool                    `yaml:"with_size"`
	Hooks         []string                `yaml:"hooks"`
	EngineTimeout *int                    `yaml:"engine_timeout"`
	Engines       map[string]pluginEngine `yaml:"engines"`
}

type pluginEngine struct {
	Enabled *bool    `yaml:"enabled"`
	Sockets []string `yaml:"sockets"`
}

var (
	containerPluginKeys = []string{"label_max_len", "with_size", "hooks", "engine_timeout", "engines"}
	pluginEngineKeys    = []string{"enabled", "sockets"}
	// Engines of the container plugin Saker has no counterpart for.
	unsupportedEngines = []string{"lxc", "libvirt_lxc", "bpm"}
)

// containerPluginConfig returns the container plugin's init_config and the
// raw mapping it was read from (for key checks); ok is false when the
// plugins list has no container entry.
func (c *Config) containerPluginConfig() (cp containerPlugin, raw map[string]any, ok bool, err error) {
	for _, p := range c.Plugins {
		if p.Name != "container" {
			continue
		}
		ok = true
		v := p.InitConfig
		if s, isStr := v.(string); isStr { // Falco also takes init_config as a JSON/YAML string
			if s == "" {
				return cp, nil, true, nil
			}
			if err := yaml.Unmarshal([]byte(s), &v); err != nil {
				return cp, nil, true, err
			}
		}
		if v == nil {
			return cp, nil, true, nil
		}
		raw, _ = v.(map[string]any)
		b, err := yaml.Marshal(v)
		if err != nil {
			return cp, raw, true, err
		}
		if err := yaml.Unmarshal(b, &cp); err != nil {
			return cp, raw, true, err
		}
		return cp, raw, true, nil
	}
	return cp, nil, false, nil
}

// ContainerEngines returns the effective container engine settings: the
// container plugin's engines when its init_config has them, else
// container_engines.
func (c *Config) ContainerEngines() ContainerEngines {
	var ce ContainerEngines
	cp, _, ok, err := c.containerPluginConfig()
	if ok && err == nil && len(cp.Engines) > 0 {
		set := func(dst *EngineSettings, name string) {
			if e, ok := cp.Engines[name]; ok {
				dst.Disabled = e.Enabled != nil && !*e.Enabled
				dst.Sockets = e.Sockets
			}
		}
		set(&ce.Docker, "docker")
		set(&ce.Podman, "podman")
		set(&ce.CRI, "cri")
		if e, ok := cp.Engines["containerd"]; ok && (e.Enabled == nil || *e.Enabled) {
			ce.ContainerdSockets = e.Sockets
		}
	} else {
		l := c.LegacyContainerEngines
		ce.Docker.Disabled = l.Docker.Enabled != nil && !*l.Docker.Enabled
		ce.Podman.Disabled = l.Podman.Enabled != nil && !*l.Podman.Enabled
		ce.CRI.Disabled = l.CRI.Enabled != nil && !*l.CRI.Enabled
		ce.CRI.Sockets = l.CRI.Sockets
	}
	if ok && err == nil {
		if cp.LabelMaxLen != nil {
			ce.LabelMaxLen = *cp.LabelMaxLen
			if ce.LabelMaxLen == 0 {
				ce.LabelMaxLen = -1 // keep all, rather than Saker's default
			}
		}
		if cp.EngineTimeout != nil && *cp.EngineTimeout > 0 {
			ce.Timeout = time.Duration(*cp.EngineTimeout) * time.Second
		}
	}
	return ce
}

// containerEngineWarnings reports container engine settings Saker does
// not implement or does not know. None of them stops the sensor.
func (c *Config) containerEngineWarnings(file string) []Warning {
	var ws []Warning
	add := func(key, msg string) { ws = append(ws, Warning{File: file, Key: key, Msg: msg}) }
	on := func(b *bool) bool { return b != nil && *b }

	l := c.LegacyContainerEngines
	for _, e := range []struct {
		name string
		e    LegacyEngine
	}{{"lxc", l.LXC}, {"libvirt_lxc", l.LibvirtLXC}, {"bpm", l.BPM}} {
		if on(e.e.Enabled) {
			add("container_engines."+e.name, "this container engine is not supported, ignored (Saker asks Docker, Podman and CRI runtimes)")
		}
	}
	if l.CRI.DisableAsync {
		add("container_engines.cri.disable_async", "ignored: Saker always looks containers up in the background")
	}

	cp, raw, ok, err := c.containerPluginConfig()
	if !ok {
		return ws
	}
	const base = "plugins[container].init_config"
	if err != nil {
		add(base, fmt.Sprintf("not a mapping (%v), ignored; the container engines keep their defaults", err))
		return ws
	}
	if len(cp.Engines) > 0 && (l.Docker.Enabled != nil || l.Podman.Enabled != nil || l.CRI.Enabled != nil || len(l.CRI.Sockets) > 0) {
		add("container_engines", "ignored: "+base+".engines configures the container engines")
	}
	for _, k := range sortedKeys(raw) {
		if !slices.Contains(containerPluginKeys, k) {
			add(base+"."+k, "unknown key, ignored")
		}
	}
	if cp.WithSize {
		add(base+".with_size", "container size inspection is not supported, ignored")
	}
	engines, _ := raw["engines"].(map[string]any)
	for _, name := range sortedKeys(engines) {
		key := base + ".engines." + name
		e := cp.Engines[name]
		sub, _ := engines[name].(map[string]any)
		for _, k := range sortedKeys(sub) {
			if !slices.Contains(pluginEngineKeys, k) {
				add(key+"."+k, "unknown key, ignored")
			}
		}
		switch {
		case name == "docker" || name == "podman" || name == "cri":
		case name == "containerd":
			if e.Enabled == nil || *e.Enabled {
				add(key, "containerd's native API is not supported; its sockets are asked through the CRI API (containers outside the k8s.io namespace are not found)")
			}
		case slices.Contains(unsupportedEngines, name):
			if on(e.Enabled) {
				add(key, "this container engine is not supported, ignored (Saker asks Docker, Podman and CRI runtimes)")
			}
		default:
			add(key, "unknown container engine, ignored (known: docker, podman, cri, containerd)")
		}
	}
	return ws
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
