package state

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Container runtimes as container.type names them.
const (
	RuntimeDocker     = "docker"
	RuntimeContainerd = "containerd"
	RuntimeCRIO       = "cri-o"
	RuntimePodman     = "podman"
)

// ContainerIDFromCgroup finds a container id (64 hex characters) in a
// cgroup path and names the runtime by the path's shape:
//
//	/docker/<id>, /system.slice/docker-<id>.scope        docker
//	/kubepods/.../cri-containerd-<id>.scope, /kubepods/.../<id>   containerd
//	/kubepods/.../crio-<id>.scope                         cri-o
//	/machine.slice/libpod-<id>.scope                      podman
//
// It returns "" for host processes.
func ContainerIDFromCgroup(p []byte) (id, runtime string) {
	// Scan path components from the end: the innermost one names the
	// container (nested cgroups such as .../<id>/init.scope exist too).
	end := len(p)
	if end > 0 {
		last := p[bytes.LastIndexByte(p, '/')+1:]
		if id, rt := truncatedID(last, p); id != "" {
			return id, rt
		}
	}
	for end > 0 {
		start := end - 1
		for start >= 0 && p[start] != '/' {
			start--
		}
		comp := p[start+1 : end]
		if id, rt := idInComponent(comp, p); id != "" {
			return id, rt
		}
		end = start
	}
	return "", ""
}

// minTruncatedID is the shortest id prefix accepted from a cgroup path
// that was cut short (the driver copies a bounded number of bytes): the
// 12 characters of container.id, which the runtimes accept as an id.
const minTruncatedID = 12

var runtimePrefixes = []struct{ prefix, runtime string }{
	{"docker-", RuntimeDocker}, {"cri-containerd-", RuntimeContainerd}, {"crio-conmon-", RuntimeCRIO},
	{"crio-", RuntimeCRIO}, {"libpod-conmon-", RuntimePodman}, {"libpod-", RuntimePodman},
}

// truncatedID accepts the last component of a cut path when a runtime
// marker ("/docker/", "docker-", ...) shows it is a container id.
func truncatedID(comp, full []byte) (string, string) {
	s := string(comp)
	rt := ""
	for _, p := range runtimePrefixes {
		if strings.HasPrefix(s, p.prefix) {
			s, rt = s[len(p.prefix):], p.runtime
			break
		}
	}
	if rt == "" && strings.HasSuffix(string(full[:len(full)-len(comp)]), "/docker/") {
		rt = RuntimeDocker
	}
	if rt == "" || len(s) < minTruncatedID || len(s) >= 64 || !isHex(s) {
		return "", ""
	}
	return s, rt
}

func idInComponent(comp, full []byte) (string, string) {
	s := string(comp)
	s = strings.TrimSuffix(s, ".scope")
	prefix := ""
	if len(s) > 64 {
		prefix = s[:len(s)-64]
		s = s[len(s)-64:]
	}
	if len(s) != 64 || !isHex(s) {
		return "", ""
	}
	switch prefix {
	case "docker-":
		return s, RuntimeDocker
	case "cri-containerd-":
		return s, RuntimeContainerd
	case "crio-", "crio-conmon-":
		return s, RuntimeCRIO
	case "libpod-", "libpod-conmon-":
		return s, RuntimePodman
	case "":
		switch {
		case strings.Contains(string(full), "/docker/"):
			return s, RuntimeDocker
		case strings.Contains(string(full), "kubepods"):
			return s, RuntimeContainerd
		case strings.Contains(string(full), "/libpod"):
			return s, RuntimePodman
		}
		return s, RuntimeContainerd
	}
	return "", ""
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Container is what the sensor knows about one container.
type Container struct {
	ID      string // full id
	Type    string
	Name    string
	Image   string // as the user named it, with tag
	ImageID string
	// ImageRepository and ImageTag split Image; ImageDigest is set for
	// images pulled by digest.
	ImageRepository, ImageTag, ImageDigest string
	Labels                                 map[string]string
	// PodLabels are the Kubernetes pod's labels (the CRI pod sandbox's).
	PodLabels map[string]string
	// SandboxID is the pod sandbox a CRI container runs in.
	SandboxID                     string
	Privileged                    bool
	HostNetwork, HostPID, HostIPC bool
	StartTS                       int64
	IP                            string
	Mounts                        []Mount
	// Resolved is true once the runtime answered (or definitively failed).
	Resolved bool
}

// Mount is one container mount.
type Mount struct {
	Source, Dest, Mode, Propagation string
	RW                              bool
}

// PodName is k8s.pod.name (from the io.kubernetes.pod.name label).
func (c *Container) PodName() string { return c.Labels["io.kubernetes.pod.name"] }

// PodNamespace is k8s.ns.name.
func (c *Container) PodNamespace() string { return c.Labels["io.kubernetes.pod.namespace"] }

// PodUID is k8s.pod.uid.
func (c *Container) PodUID() string { return c.Labels["io.kubernetes.pod.uid"] }

// ContainersOptions configure a [Containers]. The zero value asks every
// runtime on its default sockets.
type ContainersOptions struct {
	// DockerSocket, when set, replaces Docker.Sockets (sakerctl run
	// --docker-socket).
	DockerSocket string
	// Docker, Podman and CRI say whether each runtime's API is asked and
	// on which sockets. Podman is asked through its Docker-compatible API.
	Docker, Podman, CRI EngineOptions
	// HostRoots are tried, in order, as prefixes of a socket path that
	// does not exist as given: the host's root seen from a container.
	// Nil means $HOST_ROOT (when set) then /proc/1/root.
	HostRoots []string
	// Timeout bounds one lookup (default 5s, as Falco's CRI client).
	Timeout time.Duration
	// MaxContainers bounds the cache (default 4096); containers no event
	// asked about since the last sweep are evicted first.
	MaxContainers int
	// LabelMaxLen drops labels whose value is longer (Falco's
	// label_max_len; 0 means 100, negative keeps every label).
	LabelMaxLen int
	Logger      *slog.Logger
}

// EngineOptions configure one container runtime API.
type EngineOptions struct {
	// Disabled skips this runtime.
	Disabled bool
	// Sockets replace the runtime's default sockets when not empty.
	Sockets []string
}

// Default sockets, tried in order.
var (
	DefaultDockerSockets = []string{"/var/run/docker.sock"}
	DefaultPodmanSockets = []string{"/run/podman/podman.sock"}
	DefaultCRISockets    = []string{
		"/run/containerd/containerd.sock", "/run/crio/crio.sock", "/var/run/containerd/containerd.sock",
		"/var/run/crio/crio.sock", "/run/k3s/containerd/containerd.sock",
	}
)

const (
	defaultMaxContainers = 4096
	defaultLabelMaxLen   = 100
	// lookupWorkers bound the lookups in flight, so that one slow runtime
	// does not hold up the containers behind it.
	lookupWorkers = 4
)

// retryAfter is how long a container whose runtime could not be reached
// waits before it is asked again.
var retryAfter = 10 * time.Second

// Containers caches container metadata, fetched in the background from the
// container runtimes (Docker Engine API, Podman's Docker-compatible API,
// the Kubernetes CRI API of containerd and CRI-O) so that the event path
// never waits on a runtime. It is safe for concurrent use.
type Containers struct {
	o       ContainersOptions
	mu      sync.RWMutex
	m       map[string]*ctrEntry
	queue   chan lookup
	sources *sources
}

// ctrEntry is one cache slot. ct is replaced whole under mu; used is set
// by readers under the read lock.
type ctrEntry struct {
	ct   *Container
	used atomic.Bool
	// retry is when a lookup that could not reach a runtime may run
	// again (unix nanoseconds; 0: never).
	retry int64
}

type lookup struct{ id, runtime string }

// NewContainers returns an empty cache; Run starts fetching.
func NewContainers(o ContainersOptions) *Containers {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.DockerSocket != "" {
		o.Docker.Sockets = []string{o.DockerSocket}
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.MaxContainers <= 0 {
		o.MaxContainers = defaultMaxContainers
	}
	if o.LabelMaxLen == 0 {
		o.LabelMaxLen = defaultLabelMaxLen
	}
	if o.HostRoots == nil {
		if r := os.Getenv("HOST_ROOT"); r != "" && r != "/" {
			o.HostRoots = append(o.HostRoots, r)
		}
		o.HostRoots = append(o.HostRoots, "/proc/1/root")
	}
	return &Containers{o: o, m: map[string]*ctrEntry{}, queue: make(chan lookup, 1024), sources: newSources(o)}
}

// Observe records a container id seen in a cgroup path and queues a
// metadata fetch the first time. It never blocks.
func (c *Containers) Observe(id string) { c.ObserveRuntime(id, "") }

// ObserveRuntime is Observe with the runtime the cgroup path names
// ([ContainerIDFromCgroup]): that runtime's API is asked first, and the
// container's type is known before its metadata arrives.
func (c *Containers) ObserveRuntime(id, runtime string) {
	c.mu.RLock()
	e, ok := c.m[id]
	again := ok && e.retry != 0 && time.Now().UnixNano() >= e.retry
	c.mu.RUnlock()
	if ok && !again {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[id]; ok {
		if e.retry == 0 || time.Now().UnixNano() < e.retry {
			return
		}
		e.retry = 0 // asked again below
	} else {
		if len(c.m) >= c.o.MaxContainers {
			c.evictLocked()
		}
		c.m[id] = &ctrEntry{ct: &Container{ID: id, Type: runtime}}
	}
	select {
	case c.queue <- lookup{id, runtime}:
	default: // a lookup storm: the id is retried on a later sighting
		delete(c.m, id)
	}
}

// evictLocked makes room: entries no reader used since the last sweep go
// first (exited containers), then, if that freed too little, any.
func (c *Containers) evictLocked() {
	target := c.o.MaxContainers - c.o.MaxContainers/8 - 1
	for id, e := range c.m {
		if !e.used.Swap(false) {
			delete(c.m, id)
		}
	}
	for id := range c.m {
		if len(c.m) <= target {
			break
		}
		delete(c.m, id)
	}
}

// Get returns the container's metadata (possibly not yet resolved), or nil.
// The returned value is not modified after it is published. A container
// evicted from the cache is looked up again.
func (c *Containers) Get(id string) *Container {
	c.mu.RLock()
	e := c.m[id]
	if e != nil {
		if !e.used.Load() {
			e.used.Store(true)
		}
		ct := e.ct
		c.mu.RUnlock()
		return ct
	}
	c.mu.RUnlock()
	if id != "" {
		c.Observe(id)
	}
	return nil
}

// Len returns the number of cached containers.
func (c *Containers) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// Set stores metadata (tests and other runtimes).
func (c *Containers) Set(ct *Container) {
	c.mu.Lock()
	c.setLocked(ct.ID, ct, 0)
	c.mu.Unlock()
}

func (c *Containers) setLocked(key string, ct *Container, retry int64) {
	if e, ok := c.m[key]; ok {
		e.ct, e.retry = ct, retry
		return
	}
	if len(c.m) >= c.o.MaxContainers {
		c.evictLocked()
	}
	c.m[key] = &ctrEntry{ct: ct, retry: retry}
}

// Run fetches queued containers until ctx ends.
func (c *Containers) Run(ctx context.Context) {
	c.sources.probeAll(ctx)
	var wg sync.WaitGroup
	for range lookupWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case l := <-c.queue:
					c.resolve(ctx, l)
				}
			}
		}()
	}
	wg.Wait()
	c.sources.close()
}

func (c *Containers) resolve(ctx context.Context, l lookup) {
	ct, reachable := c.sources.inspect(ctx, l.id, l.runtime)
	var retry int64
	switch {
	case ct != nil:
	case !reachable && ctx.Err() == nil:
		// A runtime that should know could not be asked: stay
		// unresolved and ask again on a later sighting.
		ct = &Container{ID: l.id, Type: l.runtime}
		retry = time.Now().Add(retryAfter).UnixNano()
	default:
		ct = &Container{ID: l.id, Type: l.runtime, Resolved: true}
	}
	if ct.Resolved && ct.Type == "" {
		ct.Type = l.runtime
	}
	ct.Labels = capLabels(ct.Labels, c.o.LabelMaxLen)
	ct.PodLabels = capLabels(ct.PodLabels, c.o.LabelMaxLen)
	c.mu.Lock()
	c.setLocked(l.id, ct, retry)
	if ct.ID != l.id {
		// Asked by a prefix (a truncated cgroup path): answer under
		// both keys.
		c.setLocked(ct.ID, ct, retry)
	}
	c.mu.Unlock()
}

// capLabels drops labels longer than max, as Falco does.
func capLabels(m map[string]string, max int) map[string]string {
	if max < 0 {
		return m
	}
	for k, v := range m {
		if len(v) > max {
			delete(m, k)
		}
	}
	return m
}

// SplitImage splits "registry:5000/repo/name:tag@sha256:..." into
// repository, tag and digest.
func SplitImage(image string) (repo, tag, digest string) {
	repo = image
	if i := strings.IndexByte(repo, '@'); i >= 0 {
		repo, digest = repo[:i], repo[i+1:]
	}
	if i := strings.LastIndexByte(repo, ':'); i >= 0 && !strings.Contains(repo[i:], "/") {
		repo, tag = repo[:i], repo[i+1:]
	}
	if tag == "" && digest == "" && repo != "" && !strings.HasPrefix(repo, "sha256") {
		tag = "latest"
	}
	return repo, tag, digest
}
