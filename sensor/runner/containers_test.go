package runner

import (
	"slices"
	"testing"

	"github.com/sakersec/saker/sensor/config"
	"github.com/sakersec/saker/sensor/state"
)

func TestContainersOptions(t *testing.T) {
	cfg := config.Default()
	cfg.Plugins = []config.Plugin{{Name: "container", InitConfig: map[string]any{"engines": map[string]any{
		"docker":     map[string]any{"enabled": false},
		"containerd": map[string]any{"sockets": []any{"/run/host-containerd/containerd.sock"}},
	}}}}
	co := containersOptions(cfg, SetupOptions{}, nil)
	if !co.Docker.Disabled || co.CRI.Disabled {
		t.Errorf("docker %+v cri %+v: want docker off, cri on", co.Docker, co.CRI)
	}
	if want := append(slices.Clone(state.DefaultCRISockets), "/run/host-containerd/containerd.sock"); !slices.Equal(co.CRI.Sockets, want) {
		t.Errorf("cri sockets %q, want the defaults then containerd's", co.CRI.Sockets)
	}

	// The command line wins over the file.
	co = containersOptions(cfg, SetupOptions{DockerSocket: "/d.sock", CRISockets: []string{"/a.sock", "/b.sock"}}, nil)
	if co.Docker.Disabled || !slices.Equal(co.Docker.Sockets, []string{"/d.sock"}) || !slices.Equal(co.CRI.Sockets, []string{"/a.sock", "/b.sock"}) {
		t.Errorf("docker %+v cri %+v: want the flags' sockets", co.Docker, co.CRI)
	}

	// A replay asks no runtime.
	co = containersOptions(cfg, SetupOptions{ReplayFile: "x.trace", CRISockets: []string{"/a.sock"}}, nil)
	if !co.Docker.Disabled || !co.CRI.Disabled || !co.Podman.Disabled {
		t.Errorf("replay: %+v", co)
	}
}
