package state

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
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
	Privileged                             bool
	HostNetwork, HostPID, HostIPC          bool
	StartTS                                int64
	IP                                     string
	Mounts                                 []Mount
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

// ContainersOptions configure a [Containers].
type ContainersOptions struct {
	// DockerSocket is the Docker Engine API socket (default
	// /var/run/docker.sock); a missing socket disables lookups.
	DockerSocket string
	Logger       *slog.Logger
}

// Containers caches container metadata, fetched in the background from the
// Docker Engine API so that the event path never waits on the runtime. It
// is safe for concurrent use.
type Containers struct {
	o       ContainersOptions
	mu      sync.RWMutex
	m       map[string]*Container
	queue   chan string
	client  *http.Client
	started bool
}

// NewContainers returns an empty cache; Run starts fetching.
func NewContainers(o ContainersOptions) *Containers {
	if o.DockerSocket == "" {
		o.DockerSocket = "/var/run/docker.sock"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	sock := o.DockerSocket
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		MaxIdleConns: 2,
	}
	return &Containers{o: o, m: map[string]*Container{}, queue: make(chan string, 256), client: &http.Client{Transport: tr, Timeout: 5 * time.Second}}
}

// Observe records a container id seen in a cgroup path and queues a
// metadata fetch the first time. It never blocks.
func (c *Containers) Observe(id string) {
	c.mu.RLock()
	_, ok := c.m[id]
	c.mu.RUnlock()
	if ok {
		return
	}
	c.mu.Lock()
	if _, ok := c.m[id]; !ok {
		c.m[id] = &Container{ID: id}
		select {
		case c.queue <- id:
		default: // a fetch storm: the id is retried on a later sighting
			delete(c.m, id)
		}
	}
	c.mu.Unlock()
}

// Get returns the container's metadata (possibly not yet resolved), or nil.
// The returned value is not modified after it is published.
func (c *Containers) Get(id string) *Container {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[id]
}

// Set stores metadata (tests and other runtimes).
func (c *Containers) Set(ct *Container) {
	c.mu.Lock()
	c.m[ct.ID] = ct
	c.mu.Unlock()
}

// Run fetches queued containers until ctx ends.
func (c *Containers) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-c.queue:
			ct, err := c.inspectDocker(ctx, id)
			if err != nil {
				c.o.Logger.Debug("container metadata unavailable", "id", id[:12], "err", err)
				ct = &Container{ID: id}
			}
			ct.Resolved = true
			if ct.Type == "" {
				ct.Type = RuntimeDocker
			}
			c.Set(ct)
			if ct.ID != id {
				// Asked by a prefix (a truncated cgroup path): answer
				// under both keys.
				c.mu.Lock()
				c.m[id] = ct
				c.mu.Unlock()
			}
		}
	}
}

type dockerInspect struct {
	ID      string `json:"Id"`
	Name    string `json:"Name"`
	Image   string `json:"Image"`
	Created string `json:"Created"`
	State   struct {
		StartedAt string `json:"StartedAt"`
	} `json:"State"`
	Config struct {
		Image  string            `json:"Image"`
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
	HostConfig struct {
		Privileged  bool   `json:"Privileged"`
		NetworkMode string `json:"NetworkMode"`
		PidMode     string `json:"PidMode"`
		IpcMode     string `json:"IpcMode"`
	} `json:"HostConfig"`
	NetworkSettings struct {
		IPAddress string `json:"IPAddress"`
	} `json:"NetworkSettings"`
	Mounts []struct {
		Source      string `json:"Source"`
		Destination string `json:"Destination"`
		Mode        string `json:"Mode"`
		RW          bool   `json:"RW"`
		Propagation string `json:"Propagation"`
	} `json:"Mounts"`
}

func (c *Containers) inspectDocker(ctx context.Context, id string) (*Container, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/containers/"+id+"/json", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("docker inspect %s: %s", id[:12], resp.Status)
	}
	var d dockerInspect
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		return nil, fmt.Errorf("docker inspect %s: %w", id[:12], err)
	}
	ct := &Container{
		ID: id, Type: RuntimeDocker, Name: strings.TrimPrefix(d.Name, "/"), Image: d.Config.Image, ImageID: strings.TrimPrefix(d.Image, "sha256:"),
		Labels: d.Config.Labels, Privileged: d.HostConfig.Privileged, HostNetwork: d.HostConfig.NetworkMode == "host",
		HostPID: d.HostConfig.PidMode == "host", HostIPC: d.HostConfig.IpcMode == "host", IP: d.NetworkSettings.IPAddress,
	}
	ct.ImageRepository, ct.ImageTag, ct.ImageDigest = SplitImage(d.Config.Image)
	if ts, err := time.Parse(time.RFC3339Nano, d.State.StartedAt); err == nil && ts.Year() > 1 {
		ct.StartTS = ts.UnixNano()
	}
	for _, m := range d.Mounts {
		ct.Mounts = append(ct.Mounts, Mount{Source: m.Source, Dest: m.Destination, Mode: m.Mode, RW: m.RW, Propagation: m.Propagation})
	}
	if _, ok := ct.Labels["io.kubernetes.pod.name"]; ok {
		if ct.Labels["io.kubernetes.container.name"] != "" {
			ct.Name = ct.Labels["io.kubernetes.container.name"]
		}
	}
	return ct, nil
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
