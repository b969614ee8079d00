package state

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// errNoContainer is a runtime's answer that it does not know the id: the
// next runtime is asked.
var errNoContainer = errors.New("no such container")

// errNotCRI marks a socket that answers but does not serve the CRI
// runtime service (containerd with its cri plugin disabled, as Docker's
// own containerd runs).
var errNotCRI = errors.New("the socket does not serve the CRI RuntimeService (is containerd's cri plugin disabled?)")

// runtimeAPI is one connected runtime.
type runtimeAPI interface {
	// inspect returns the container's metadata or an error wrapping
	// errNoContainer.
	inspect(ctx context.Context, id string) (*Container, error)
	// runtime is the container.type the API's containers get.
	runtime() string
	close()
}

// Source kinds, one per API Saker speaks.
const (
	kindDocker = "docker"
	kindPodman = "podman"
	kindCRI    = "cri"
)

// reprobeAbsent is how often a socket that did not exist is looked for
// again (a runtime installed or started after the sensor); reprobeDown is
// how long a socket that stopped answering is left alone.
var reprobeAbsent, reprobeDown = 30 * time.Second, 5 * time.Second

// source is one configured socket of one kind. It connects lazily, keeps
// the connection, and remembers its state so that a missing or broken
// socket is logged once per change, not per container.
type source struct {
	kind, path string
	o          *ContainersOptions
	mu         sync.Mutex
	api        runtimeAPI
	found      string // the path connected to (after host-root resolution)
	key        string // the socket's identity: one socket reached by two paths is asked once
	state      string // "", "absent", "up", "down", "not-cri"
	next       time.Time
}

// sources are every configured socket, in the default order.
type sources struct {
	o    ContainersOptions
	all  []*source
	last atomic.Value // kind of the source that answered last
}

func newSources(o ContainersOptions) *sources {
	s := &sources{o: o}
	add := func(kind string, e EngineOptions, def []string) {
		if e.Disabled {
			return
		}
		socks := e.Sockets
		if len(socks) == 0 {
			socks = def
		}
		for _, p := range socks {
			if p != "" {
				s.all = append(s.all, &source{kind: kind, path: p, o: &s.o})
			}
		}
	}
	add(kindDocker, o.Docker, DefaultDockerSockets)
	add(kindCRI, o.CRI, DefaultCRISockets)
	add(kindPodman, o.Podman, DefaultPodmanSockets)
	return s
}

// order returns the sources to ask for a container of the runtime the
// cgroup path named: its own API first, then the others. Without a hint
// the kind that answered last goes first (a node usually runs one
// runtime).
func (s *sources) order(runtime string) []*source {
	first := ""
	switch runtime {
	case RuntimeDocker:
		first = kindDocker
	case RuntimePodman:
		first = kindPodman
	case RuntimeContainerd, RuntimeCRIO:
		first = kindCRI
	default:
		first, _ = s.last.Load().(string)
	}
	out := make([]*source, 0, len(s.all))
	for _, src := range s.all {
		if src.kind == first {
			out = append(out, src)
		}
	}
	for _, src := range s.all {
		if src.kind != first {
			out = append(out, src)
		}
	}
	return out
}

// inspect asks the sources in turn. reachable is false when no source
// answered and at least one that should have could not be reached (the
// lookup is worth retrying).
func (s *sources) inspect(ctx context.Context, id, runtime string) (ct *Container, reachable bool) {
	reachable = true
	seen := map[string]bool{}
	for _, src := range s.order(runtime) {
		api, where := src.connect(ctx, time.Now())
		if api == nil {
			if src.isDown() {
				reachable = false
			}
			continue
		}
		if seen[where] { // /var/run/x.sock and /run/x.sock are often one socket
			continue
		}
		seen[where] = true
		lctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
		ct, err := api.inspect(lctx, id)
		cancel()
		switch {
		case err == nil:
			s.last.Store(src.kind)
			ct.Resolved = true
			if ct.Type == "" {
				ct.Type = api.runtime()
			}
			return ct, true
		case errors.Is(err, errNoContainer):
		case ctx.Err() != nil:
			return nil, false
		default:
			reachable = false
			src.fail(err)
		}
	}
	return nil, reachable
}

// probeAll connects every source once at start and says in one line where
// metadata will come from, or that it will not.
func (s *sources) probeAll(ctx context.Context) {
	var up []string
	seen := map[string]bool{}
	for _, src := range s.all {
		if api, key := src.connect(ctx, time.Now()); api != nil && !seen[key] {
			seen[key] = true
			up = append(up, fmt.Sprintf("%s (%s) at %s", src.kind, api.runtime(), src.found))
		}
	}
	if len(up) > 0 {
		s.o.Logger.Info("container metadata from " + strings.Join(up, ", "))
		return
	}
	if len(s.all) == 0 {
		s.o.Logger.Debug("container metadata lookups are off")
		return
	}
	var looked []string
	for _, src := range s.all {
		looked = append(looked, src.path)
	}
	s.o.Logger.Info("no container runtime socket answered; container.name, container.image and k8s.* will be empty until one does",
		"looked_in", strings.Join(looked, ", "), "hint", "mount the runtime's socket, or set container engine sockets in falco.yaml or with --cri-socket/--docker-socket")
}

func (s *sources) close() {
	for _, src := range s.all {
		src.mu.Lock()
		if src.api != nil {
			src.api.close()
			src.api = nil
		}
		src.mu.Unlock()
	}
}

// connect returns the source's API, connecting when due. It returns nil
// while the socket is absent or down.
func (src *source) connect(ctx context.Context, now time.Time) (runtimeAPI, string) {
	src.mu.Lock()
	defer src.mu.Unlock()
	if src.api != nil {
		return src.api, src.key
	}
	if now.Before(src.next) {
		return nil, ""
	}
	p, ok := findSocket(src.path, src.o.HostRoots)
	if ok {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
	}
	if !ok {
		src.next = now.Add(reprobeAbsent)
		src.setState("absent", "container runtime socket not found", slog.LevelDebug)
		return nil, ""
	}
	var api runtimeAPI
	var err error
	switch src.kind {
	case kindCRI:
		cctx, cancel := context.WithTimeout(ctx, src.o.Timeout)
		api, err = dialCRI(cctx, p)
		cancel()
	case kindPodman:
		api = newDockerAPI(p, RuntimePodman, src.o.Timeout)
	default:
		api = newDockerAPI(p, RuntimeDocker, src.o.Timeout)
	}
	if err != nil {
		if errors.Is(err, errNotCRI) {
			src.next = now.Add(reprobeAbsent)
			src.setState("not-cri", err.Error(), slog.LevelInfo)
		} else {
			src.next = now.Add(reprobeDown)
			src.setState("down", "container runtime socket does not answer: "+err.Error(), slog.LevelInfo)
		}
		return nil, ""
	}
	src.api, src.found, src.key = api, p, socketKey(p)
	level := slog.LevelDebug // probeAll names the sources in one line at start
	if src.state == "down" {
		level = slog.LevelInfo
	}
	src.setState("up", "container runtime socket answers", level, "runtime", api.runtime(), "at", p)
	return api, src.key
}

// fail drops a connection that failed for another reason than an unknown
// container; it is retried after reprobeDown.
func (src *source) fail(err error) {
	src.mu.Lock()
	defer src.mu.Unlock()
	if src.api != nil {
		src.api.close()
		src.api = nil
	}
	src.next = time.Now().Add(reprobeDown)
	src.setState("down", "container runtime lookup failed: "+err.Error(), slog.LevelInfo)
}

func (src *source) isDown() bool {
	src.mu.Lock()
	defer src.mu.Unlock()
	return src.state == "down"
}

// setState logs a change of state once.
func (src *source) setState(state, msg string, level slog.Level, attrs ...any) {
	if src.state == state {
		return
	}
	src.state = state
	attrs = append([]any{"kind", src.kind, "socket", src.path}, attrs...)
	src.o.Logger.Log(context.Background(), level, msg, attrs...)
}

// findSocket returns where the socket p is: as given, else under one of
// the host roots (a sensor in a container sees the host's sockets under
// $HOST_ROOT or /proc/1/root).
func findSocket(p string, roots []string) (string, bool) {
	if isSocket(p) {
		return p, true
	}
	for _, r := range roots {
		if q := path.Join(r, p); isSocket(q) {
			return q, true
		}
	}
	return "", false
}

// socketKey identifies the socket file behind a path.
func socketKey(p string) string {
	if fi, err := os.Stat(p); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			return fmt.Sprintf("%d:%d", st.Dev, st.Ino)
		}
	}
	return p
}

func isSocket(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode()&os.ModeSocket != 0
}
