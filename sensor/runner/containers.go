package runner

import (
	"log/slog"

	"github.com/sakersec/saker/sensor/config"
	"github.com/sakersec/saker/sensor/state"
)

// containersOptions maps falco.yaml's container engines and the command
// line's sockets (which win) onto the metadata cache's options.
func containersOptions(cfg *config.Config, o SetupOptions, log *slog.Logger) state.ContainersOptions {
	ce := cfg.ContainerEngines()
	co := state.ContainersOptions{
		Docker:      state.EngineOptions{Disabled: ce.Docker.Disabled, Sockets: ce.Docker.Sockets},
		Podman:      state.EngineOptions{Disabled: ce.Podman.Disabled, Sockets: ce.Podman.Sockets},
		CRI:         state.EngineOptions{Disabled: ce.CRI.Disabled, Sockets: ce.CRI.Sockets},
		LabelMaxLen: ce.LabelMaxLen,
		Timeout:     ce.Timeout,
		Logger:      log,
	}
	if len(ce.ContainerdSockets) > 0 {
		socks := co.CRI.Sockets
		if len(socks) == 0 {
			socks = state.DefaultCRISockets
		}
		co.CRI.Sockets = append(append([]string(nil), socks...), ce.ContainerdSockets...)
		co.CRI.Disabled = false
	}
	if o.ReplayFile != "" || cfg.Engine.Kind == "replay" {
		// A recording's containers are another time's, often another
		// machine's: their metadata is not asked of this one's runtimes.
		off := state.EngineOptions{Disabled: true}
		co.Docker, co.Podman, co.CRI = off, off, off
		return co
	}
	if o.DockerSocket != "" {
		co.Docker = state.EngineOptions{Sockets: []string{o.DockerSocket}}
	}
	if len(o.CRISockets) > 0 {
		co.CRI = state.EngineOptions{Sockets: o.CRISockets}
	}
	return co
}
