package state_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/sakersec/saker/sensor/event"
	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/internal/eventtest"
	"github.com/sakersec/saker/sensor/sources/syscall"
	"github.com/sakersec/saker/sensor/state"
)

// fakeCRI is an in-process CRI runtime: the RuntimeService calls the
// sensor makes, over real gRPC on a unix socket.
type fakeCRI struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	name       string
	containers map[string]*runtimeapi.ContainerStatus
	info       map[string]string // container id → verbose "info" JSON
	sandboxes  map[string]*runtimeapi.PodSandboxStatus
	// gate, when set, holds ContainerStatus until it is closed (or the
	// caller gives up).
	gate chan struct{}
	// anyID answers every id with the first container's status.
	anyID bool
	calls atomic.Int64
}

func (f *fakeCRI) Version(context.Context, *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{Version: "0.1.0", RuntimeName: f.name, RuntimeVersion: "1.0.0", RuntimeApiVersion: "v1"}, nil
}

func (f *fakeCRI) ContainerStatus(ctx context.Context, r *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	f.calls.Add(1)
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	for id, c := range f.containers {
		if strings.HasPrefix(id, r.ContainerId) {
			resp := &runtimeapi.ContainerStatusResponse{Status: c}
			if r.Verbose && f.info[id] != "" {
				resp.Info = map[string]string{"info": f.info[id]}
			}
			return resp, nil
		}
	}
	if f.anyID {
		for id, c := range f.containers {
			st := proto.Clone(c).(*runtimeapi.ContainerStatus)
			st.Id = r.ContainerId
			return &runtimeapi.ContainerStatusResponse{Status: st, Info: map[string]string{"info": f.info[id]}}, nil
		}
	}
	return nil, status.Errorf(codes.NotFound, "container %q not found", r.ContainerId)
}

func (f *fakeCRI) PodSandboxStatus(_ context.Context, r *runtimeapi.PodSandboxStatusRequest) (*runtimeapi.PodSandboxStatusResponse, error) {
	if s, ok := f.sandboxes[r.PodSandboxId]; ok {
		return &runtimeapi.PodSandboxStatusResponse{Status: s}, nil
	}
	return nil, status.Errorf(codes.NotFound, "pod sandbox %q not found", r.PodSandboxId)
}

// serve starts f on a unix socket in a temporary directory.
func (f *fakeCRI) serve(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(shortTempDir(t), "cri.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	runtimeapi.RegisterRuntimeServiceServer(srv, f)
	go srv.Serve(l)
	t.Cleanup(func() {
		if f.gate != nil {
			select {
			case <-f.gate:
			default:
				close(f.gate)
			}
		}
		srv.Stop()
	})
	return sock
}

// shortTempDir keeps socket paths under the 108-byte sun_path limit.
func shortTempDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "saker-cri")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

const (
	webID     = "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e"
	sandboxID = "91b6a2cd4f0e8d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817069f8e"
	podUID    = "7c3f1f3e-2a4b-4c5d-8e9f-0a1b2c3d4e5f"
)

func kubeWorkload() *fakeCRI {
	return &fakeCRI{
		name: "containerd",
		containers: map[string]*runtimeapi.ContainerStatus{webID: {
			Id: webID, Metadata: &runtimeapi.ContainerMetadata{Name: "web"}, State: runtimeapi.ContainerState_CONTAINER_RUNNING,
			CreatedAt: 1_700_000_000_000_000_000, StartedAt: 1_700_000_001_000_000_000,
			// containerd names the image by its first reference.
			Image:    &runtimeapi.ImageSpec{Image: "registry.example.com/team/web:1.4"},
			ImageRef: "registry.example.com/team/web@sha256:" + strings.Repeat("ab", 32),
			ImageId:  "sha256:" + strings.Repeat("cd", 32),
			Labels: map[string]string{
				"io.kubernetes.container.name": "web", "io.kubernetes.pod.name": "web-7d9f",
				"io.kubernetes.pod.namespace": "shop", "io.kubernetes.pod.uid": podUID,
				"long": strings.Repeat("x", 200),
			},
			Mounts: []*runtimeapi.Mount{{ContainerPath: "/data", HostPath: "/var/lib/web", Readonly: true}},
		}},
		info: map[string]string{webID: `{"sandboxID":"` + sandboxID + `","config":{"linux":{"security_context":{"privileged":true}}}}`},
		sandboxes: map[string]*runtimeapi.PodSandboxStatus{sandboxID: {
			Id: sandboxID, Metadata: &runtimeapi.PodSandboxMetadata{Name: "web-7d9f", Namespace: "shop", Uid: podUID},
			State: runtimeapi.PodSandboxState_SANDBOX_READY, Network: &runtimeapi.PodSandboxNetworkStatus{Ip: "10.42.0.7"},
			Linux:  &runtimeapi.LinuxPodSandboxStatus{Namespaces: &runtimeapi.Namespace{Options: &runtimeapi.NamespaceOption{Pid: runtimeapi.NamespaceMode_POD}}},
			Labels: map[string]string{"app": "web", "io.kubernetes.pod.name": "web-7d9f"},
		}},
	}
}

// harness is a state table whose containers come from the given options,
// with the syscall source's extractors.
type harness struct {
	t    *testing.T
	tb   *state.Table
	ctrs *state.Containers
	src  *fields.Source
	ev   syscall.Event
	pid  int64
}

func newHarness(t *testing.T, o state.ContainersOptions) *harness {
	t.Helper()
	if o.HostRoots == nil {
		o.HostRoots = []string{}
	}
	c := state.NewContainers(o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	tb := state.New(state.Options{ProcRoot: "/nonexistent", HostRoot: t.TempDir(), Containers: c})
	h := &harness{t: t, tb: tb, ctrs: c, src: syscall.Source(), pid: 100}
	h.ev.State = tb
	return h
}

// exec applies an execve of a process in the cgroup path.
func (h *harness) exec(cgroup string) {
	h.t.Helper()
	h.pid++
	ev := &event.Event{Type: event.TypeExecve, TID: h.pid, PID: h.pid, PPID: 1, TS: 2e18}
	if err := ev.SetArgs(eventtest.Args(h.t, event.TypeExecve, map[string]any{"exe": "/bin/sh", "cgroups": []string{"cpu=" + cgroup}})); err != nil {
		h.t.Fatal(err)
	}
	copy(ev.Comm[:], "sh\x00")
	h.ev.Set(ev, h.tb.Update(ev))
}

// get extracts a field from the current event, "<NA>" without a value.
func (h *harness) get(f string) any {
	h.t.Helper()
	ref, err := h.src.Resolve(f)
	if err != nil {
		h.t.Fatalf("%s: %v", f, err)
	}
	x, err := h.src.Extractors().NewExtractor(ref)
	if err != nil {
		h.t.Fatalf("%s: %v", f, err)
	}
	var v fields.Value
	if !x.Extract(&h.ev, &v) {
		return "<NA>"
	}
	switch ref.Field.Type {
	case fields.TypeString:
		return v.Str
	case fields.TypeBool:
		return v.Bool
	case fields.TypeUint, fields.TypeAbsTime:
		return v.Uint
	}
	return v
}

func (h *harness) expect(want map[string]any) {
	h.t.Helper()
	for f, w := range want {
		if got := h.get(f); got != w {
			h.t.Errorf("%s = %#v, want %#v", f, got, w)
		}
	}
}

// waitResolved waits (generously: the machine may be loaded; this is not a
// timing assertion) until the runtime's answer for id is in the cache.
func (h *harness) waitResolved(id string) *state.Container {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c := h.ctrs.Get(id); c != nil && c.Resolved {
			return c
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("container %s never resolved", id[:12])
	return nil
}

func onlyCRI(socks ...string) state.ContainersOptions {
	return state.ContainersOptions{
		Docker: state.EngineOptions{Disabled: true}, Podman: state.EngineOptions{Disabled: true},
		CRI: state.EngineOptions{Sockets: socks},
	}
}

const webCgroup = "/kubepods/besteffort/pod" + podUID + "/cri-containerd-" + webID + ".scope"

// A container of a Kubernetes pod on containerd: until the runtime answers
// the event shows the id and nothing else (as Falco does); then the CRI's
// container and pod sandbox fill the container.* and k8s.* fields.
func TestCRIMetadataReachesFields(t *testing.T) {
	cri := kubeWorkload()
	cri.gate = make(chan struct{})
	h := newHarness(t, onlyCRI(cri.serve(t)))

	h.exec(webCgroup)
	h.expect(map[string]any{
		"container.id": webID[:12], "container.full_id": webID,
		"container.name": "<NA>", "container.image.repository": "<NA>", "k8s.pod.name": "<NA>", "container.privileged": "<NA>",
	})

	close(cri.gate)
	h.waitResolved(webID)
	h.expect(map[string]any{
		"container.id": webID[:12], "container.name": "web", "container.type": "containerd",
		"container.image":            "registry.example.com/team/web:1.4",
		"container.image.repository": "registry.example.com/team/web", "container.image.tag": "1.4",
		"container.image.digest": "sha256:" + strings.Repeat("ab", 32), "container.image.id": strings.Repeat("cd", 32),
		"k8s.pod.name": "web-7d9f", "k8s.ns.name": "shop", "k8s.pod.uid": podUID,
		"container.label[io.kubernetes.sandbox.id]": sandboxID, "container.label[long]": "<NA>",
		"container.privileged": true, "container.host_pid": false, "container.ip": "10.42.0.7",
		"container.mounts": "/var/lib/web:/data::false:private", "container.start_ts": uint64(1_700_000_001_000_000_000),
	})
	if c := h.ctrs.Get(webID); c.PodLabels["app"] != "web" {
		t.Errorf("pod labels %v, want app=web from the pod sandbox", c.PodLabels)
	}

	// A process of the pod's sandbox (pause) has the sandbox id: the pod
	// is known, the container has no name.
	h.exec("/kubepods/besteffort/pod" + podUID + "/" + sandboxID)
	h.waitResolved(sandboxID)
	h.expect(map[string]any{"container.id": sandboxID[:12], "k8s.pod.name": "web-7d9f", "k8s.ns.name": "shop", "container.name": "<NA>"})
}

// A CRI-O node: the type comes from the runtime's name, and the image name
// comes from the spec annotations when the status names only the image id.
func TestCRIOImageFromAnnotations(t *testing.T) {
	cri := kubeWorkload()
	cri.name = "cri-o"
	st := cri.containers[webID]
	st.Image = &runtimeapi.ImageSpec{Image: "sha256:" + strings.Repeat("cd", 32)}
	st.ImageRef = "sha256:" + strings.Repeat("cd", 32)
	st.ImageId = ""
	cri.info[webID] = `{"sandboxID":"` + sandboxID + `","privileged":false,"runtimeSpec":{"annotations":{"io.kubernetes.cri-o.ImageName":"quay.io/team/web:2.0"}}}`
	h := newHarness(t, onlyCRI(cri.serve(t)))
	h.exec("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/crio-" + webID + ".scope")
	h.waitResolved(webID)
	h.expect(map[string]any{
		"container.type": "cri-o", "container.name": "web", "container.image": "quay.io/team/web:2.0",
		"container.image.repository": "quay.io/team/web", "container.image.tag": "2.0", "container.image.id": strings.Repeat("cd", 32),
		"container.privileged": false, "k8s.pod.name": "web-7d9f", "k8s.ns.name": "shop",
	})
}

// logCounter counts log records by message prefix.
type logCounter struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logCounter) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCounter) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := r.Message
	r.Attrs(func(a slog.Attr) bool { s += " " + a.String(); return true })
	l.msgs = append(l.msgs, s)
	return nil
}
func (l *logCounter) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCounter) WithGroup(string) slog.Handler      { return l }

func (l *logCounter) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if strings.Contains(m, sub) {
			n++
		}
	}
	return n
}

// A socket nobody listens on (a stopped runtime) and a missing socket are
// skipped for the next one; each is logged once, not per container.
func TestCRIDeadAndMissingSocketsFallBack(t *testing.T) {
	dir := shortTempDir(t)
	dead := filepath.Join(dir, "dead.sock")
	l, err := net.Listen("unix", dead)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	missing := filepath.Join(dir, "missing.sock")
	cri := kubeWorkload()
	other := strings.Repeat("e", 64)
	cri.containers[other] = &runtimeapi.ContainerStatus{Id: other, Metadata: &runtimeapi.ContainerMetadata{Name: "sidecar"}}
	logs := &logCounter{}
	o := onlyCRI(missing, dead, cri.serve(t))
	o.Logger = slog.New(logs)
	h := newHarness(t, o)

	h.exec(webCgroup)
	h.waitResolved(webID)
	h.expect(map[string]any{"container.name": "web", "k8s.ns.name": "shop"})
	h.exec("/kubepods/besteffort/pod" + podUID + "/" + other)
	h.waitResolved(other)
	h.expect(map[string]any{"container.name": "sidecar"})

	if n := logs.count("socket not found kind=cri socket=" + missing); n != 1 {
		t.Errorf("missing socket logged %d times, want once:\n%s", n, strings.Join(logs.msgs, "\n"))
	}
	if n := logs.count("does not answer") + logs.count("lookup failed"); n != 1 {
		t.Errorf("dead socket logged %d times, want once:\n%s", n, strings.Join(logs.msgs, "\n"))
	}
}

// A runtime that accepts the call and never answers holds up neither the
// event path nor the cache: the event shows the id, and once the runtime
// answers again a later sighting brings the metadata.
func TestCRISlowServerNeverBlocks(t *testing.T) {
	defer state.SetBackoff(0)()
	cri := kubeWorkload()
	cri.gate = make(chan struct{}) // closed only after the first lookups gave up
	o := onlyCRI(cri.serve(t))
	o.Timeout = 50 * time.Millisecond
	h := newHarness(t, o)

	// Every call below returns while the runtime holds the lookup: if one
	// waited for it, the test would hang (and fail on go test's timeout).
	for range 50 {
		h.exec(webCgroup)
		h.expect(map[string]any{"container.id": webID[:12], "container.name": "<NA>"})
	}
	deadline := time.Now().Add(30 * time.Second)
	for cri.calls.Load() < 2 { // the first lookup gave up, a later sighting asked again
		if time.Now().After(deadline) {
			t.Fatal("the lookup was never retried")
		}
		h.exec(webCgroup)
		time.Sleep(5 * time.Millisecond)
	}
	if c := h.ctrs.Get(webID); c == nil || c.Resolved {
		t.Fatalf("container %+v: want an unresolved entry while the runtime does not answer", c)
	}
	close(cri.gate)
	for {
		if c := h.ctrs.Get(webID); c != nil && c.Resolved {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the metadata never arrived after the runtime recovered")
		}
		h.exec(webCgroup)
		time.Sleep(5 * time.Millisecond)
	}
	h.expect(map[string]any{"container.name": "web", "k8s.pod.name": "web-7d9f"})
}

// The cache stays within its bound however many containers come and go.
func TestContainersCacheBounded(t *testing.T) {
	c := state.NewContainers(state.ContainersOptions{MaxContainers: 16, Docker: state.EngineOptions{Disabled: true},
		Podman: state.EngineOptions{Disabled: true}, CRI: state.EngineOptions{Disabled: true}})
	keep := strings.Repeat("a", 64)
	c.Set(&state.Container{ID: keep, Name: "busy", Resolved: true})
	for i := range 200 {
		c.Observe(fmt.Sprintf("%064x", i))
		if got := c.Get(keep); got == nil || got.Name != "busy" {
			t.Fatalf("after %d containers the one being read was evicted", i)
		}
	}
	if n := c.Len(); n > 16 {
		t.Errorf("%d containers cached, want at most 16", n)
	}
}

// A sensor in a container finds the host's socket under the host root
// ($HOST_ROOT, /proc/1/root) when the path does not exist as given.
func TestCRISocketUnderHostRoot(t *testing.T) {
	root := shortTempDir(t)
	cri := kubeWorkload()
	sock := cri.serve(t)
	// The "host root" holds the socket at the configured path.
	inRoot := filepath.Join(root, "run/containerd/containerd.sock")
	os.MkdirAll(filepath.Dir(inRoot), 0o755)
	if err := os.Symlink(sock, inRoot); err != nil {
		t.Fatal(err)
	}
	o := onlyCRI("/run/containerd/containerd.sock")
	if _, err := os.Stat("/run/containerd/containerd.sock"); err == nil {
		t.Skip("this machine has a containerd socket at the default path")
	}
	o.HostRoots = []string{root}
	h := newHarness(t, o)
	h.exec(webCgroup)
	h.waitResolved(webID)
	h.expect(map[string]any{"container.name": "web"})
}

// One socket reached by two configured paths (/run and /var/run are often
// the same directory) is asked once for a container it does not know.
func TestCRISameSocketTwoPaths(t *testing.T) {
	cri := kubeWorkload()
	sock := cri.serve(t)
	alias := filepath.Join(shortTempDir(t), "alias.sock")
	if err := os.Symlink(sock, alias); err != nil {
		t.Fatal(err)
	}
	logs := &logCounter{}
	o := onlyCRI(sock, alias)
	o.Logger = slog.New(logs)
	h := newHarness(t, o)
	unknown := strings.Repeat("f", 64)
	h.exec("/kubepods/besteffort/pod1/" + unknown)
	h.waitResolved(unknown)
	if n := cri.calls.Load(); n != 1 {
		t.Errorf("the runtime was asked %d times about a container it does not know, want once", n)
	}
	for _, m := range logs.msgs {
		if strings.HasPrefix(m, "container metadata from") && strings.Count(m, "cri (containerd)") != 1 {
			t.Errorf("the start-up line names the one socket twice: %s", m)
		}
	}
}

// One CRI lookup (ContainerStatus, PodSandboxStatus over gRPC on a unix
// socket), from Observe to the answer in the cache: the delay before a new
// container's events carry its metadata.
func BenchmarkCRILookup(b *testing.B) {
	cri := kubeWorkload()
	cri.anyID = true
	dir, err := os.MkdirTemp("", "saker-cri")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "cri.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	srv := grpc.NewServer()
	runtimeapi.RegisterRuntimeServiceServer(srv, cri)
	go srv.Serve(l)
	defer srv.Stop()
	o := onlyCRI(sock)
	o.HostRoots = []string{}
	o.MaxContainers = 1 << 20
	c := state.NewContainers(o)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		id := fmt.Sprintf("%064x", i)
		c.Observe(id)
		for {
			if ct := c.Get(id); ct != nil && ct.Resolved {
				break
			}
			// Sleep, not spin: a spinning goroutine keeps the scheduler
			// from polling the network but every 10 ms.
			time.Sleep(20 * time.Microsecond)
		}
	}
}
