package config

import (
	"slices"
	"testing"
	"time"

	"github.com/sakersec/saker/internal/testutil"
)

// Falco's own falco.yaml configures the container plugin with its default
// engines: every engine on its default sockets, no warning.
func TestContainerEnginesUpstreamDefaults(t *testing.T) {
	p := testutil.Upstream(t, "falco.yaml")
	cfg, ws, err := Load(LoadOptions{File: p})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.Key == "container_engines" || len(w.Key) > 7 && w.Key[:7] == "plugins" {
			t.Errorf("unexpected warning: %v", w)
		}
	}
	ce := cfg.ContainerEngines()
	if ce.Docker.Disabled || ce.Podman.Disabled || ce.CRI.Disabled || ce.CRI.Sockets != nil || ce.Docker.Sockets != nil {
		t.Errorf("engines = %+v, want all enabled on their default sockets", ce)
	}
	if ce.LabelMaxLen != 100 {
		t.Errorf("label_max_len = %d, want the file's 100", ce.LabelMaxLen)
	}
}

func TestContainerPluginEngines(t *testing.T) {
	p := write(t, "falco.yaml", `
plugins:
  - name: container
    library_path: libcontainer.so
    init_config:
      label_max_len: 64
      engine_timeout: 3
      with_size: true
      hooks: [create]
      colour: blue
      engines:
        docker: {enabled: false}
        podman: {enabled: true, sockets: [/run/user/1000/podman/podman.sock]}
        cri: {enabled: true, sockets: [/run/k3s/containerd/containerd.sock], verbose: true}
        containerd: {enabled: true, sockets: [/run/host-containerd/containerd.sock]}
        lxc: {enabled: true}
        bpm: {enabled: false}
        rkt: {enabled: true}
container_engines:
  docker: {enabled: true}
`)
	cfg, ws, err := Load(LoadOptions{File: p})
	if err != nil {
		t.Fatalf("unsupported container settings must not fail: %v", err)
	}
	ce := cfg.ContainerEngines()
	want := ContainerEngines{
		Docker:            EngineSettings{Disabled: true},
		Podman:            EngineSettings{Sockets: []string{"/run/user/1000/podman/podman.sock"}},
		CRI:               EngineSettings{Sockets: []string{"/run/k3s/containerd/containerd.sock"}},
		ContainerdSockets: []string{"/run/host-containerd/containerd.sock"},
		LabelMaxLen:       64, Timeout: 3 * time.Second,
	}
	if !equalEngines(ce, want) {
		t.Errorf("engines = %+v\nwant %+v", ce, want)
	}
	const b = "plugins[container].init_config"
	for _, key := range []string{b + ".colour", b + ".with_size", b + ".engines.cri.verbose", b + ".engines.containerd",
		b + ".engines.lxc", b + ".engines.rkt", "container_engines"} {
		if !hasWarning(ws, key) {
			t.Errorf("no warning for %s in %v", key, ws)
		}
	}
	if hasWarning(ws, b+".engines.bpm") || hasWarning(ws, b+".hooks") {
		t.Errorf("a disabled engine or a known key warned: %v", ws)
	}
	for _, w := range ws {
		if w.File != p {
			t.Errorf("warning does not name the file: %v", w)
		}
	}
}

// Falco's older container_engines key, and init_config given as a string.
func TestLegacyContainerEngines(t *testing.T) {
	p := write(t, "falco.yaml", `
container_engines:
  docker: {enabled: false}
  cri:
    enabled: true
    sockets: [/run/crio/crio.sock]
    disable_async: true
  bpm: {enabled: true}
  garden: {enabled: true}
`)
	cfg, ws, err := Load(LoadOptions{File: p})
	if err != nil {
		t.Fatal(err)
	}
	want := ContainerEngines{Docker: EngineSettings{Disabled: true}, CRI: EngineSettings{Sockets: []string{"/run/crio/crio.sock"}}}
	if ce := cfg.ContainerEngines(); !equalEngines(ce, want) {
		t.Errorf("engines = %+v, want %+v", ce, want)
	}
	for _, key := range []string{"container_engines.cri.disable_async", "container_engines.bpm", "container_engines.garden"} {
		if !hasWarning(ws, key) {
			t.Errorf("no warning for %s in %v", key, ws)
		}
	}

	cfg, ws, err = Load(LoadOptions{File: p, Overrides: []string{`plugins=[{name: container, init_config: '{"engines": {"cri": {"sockets": ["/x.sock"]}}}'}]`}})
	if err != nil {
		t.Fatal(err)
	}
	if ce := cfg.ContainerEngines(); !slices.Equal(ce.CRI.Sockets, []string{"/x.sock"}) || ce.Docker.Disabled {
		t.Errorf("string init_config: engines = %+v (the plugin's engines replace container_engines)", ce)
	}
	if !hasWarning(ws, "container_engines") {
		t.Errorf("no warning that container_engines is ignored: %v", ws)
	}
}

func equalEngines(a, b ContainerEngines) bool {
	eq := func(x, y EngineSettings) bool { return x.Disabled == y.Disabled && slices.Equal(x.Sockets, y.Sockets) }
	return eq(a.Docker, b.Docker) && eq(a.Podman, b.Podman) && eq(a.CRI, b.CRI) && slices.Equal(a.ContainerdSockets, b.ContainerdSockets) &&
		a.LabelMaxLen == b.LabelMaxLen && a.Timeout == b.Timeout
}
