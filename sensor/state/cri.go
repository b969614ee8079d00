package state

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// criAPI asks a Kubernetes CRI runtime (containerd, CRI-O) through its
// runtime.v1 RuntimeService: ContainerStatus for the container,
// PodSandboxStatus for its pod.
type criAPI struct {
	conn   *grpc.ClientConn
	client runtimeapi.RuntimeServiceClient
	rt     string
}

// criMaxInfo bounds the verbose status a runtime may send (containerd's
// includes the container's OCI spec, a few tens of KiB).
const criMaxInfo = 4 << 20

// dialCRI connects to a CRI socket and asks its version, which names the
// runtime and proves the socket serves the CRI.
func dialCRI(ctx context.Context, sock string) (*criAPI, error) {
	conn, err := grpc.NewClient("unix://"+sock,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(criMaxInfo)))
	if err != nil {
		return nil, fmt.Errorf("cri %s: %w", sock, err)
	}
	c := &criAPI{conn: conn, client: runtimeapi.NewRuntimeServiceClient(conn)}
	v, err := c.client.Version(ctx, &runtimeapi.VersionRequest{Version: "v1"})
	if err != nil {
		conn.Close()
		if status.Code(err) == codes.Unimplemented {
			return nil, fmt.Errorf("cri %s: %w", sock, errNotCRI)
		}
		return nil, fmt.Errorf("cri %s: version: %w", sock, err)
	}
	switch strings.ToLower(v.GetRuntimeName()) {
	case "containerd":
		c.rt = RuntimeContainerd
	case "cri-o":
		c.rt = RuntimeCRIO
	default:
		c.rt = "cri"
	}
	return c, nil
}

func (c *criAPI) runtime() string { return c.rt }
func (c *criAPI) close()          { c.conn.Close() }

// criInfo is the part of a verbose ContainerStatus's "info" JSON the
// non-verbose answer lacks: the sandbox, privileged (containerd puts the
// CRI config there, CRI-O a flag) and the image name annotations.
type criInfo struct {
	SandboxID  string `json:"sandboxID"`
	Privileged *bool  `json:"privileged"`
	Config     struct {
		Image struct {
			Image string `json:"image"`
		} `json:"image"`
		Linux struct {
			SecurityContext struct {
				Privileged *bool `json:"privileged"`
			} `json:"security_context"`
		} `json:"linux"`
	} `json:"config"`
	RuntimeSpec struct {
		Annotations map[string]string `json:"annotations"`
	} `json:"runtimeSpec"`
}

func notFound(err error) bool {
	if status.Code(err) == codes.NotFound {
		return true
	}
	// Some runtime versions answer Unknown with a "not found" message.
	return status.Code(err) == codes.Unknown && strings.Contains(strings.ToLower(status.Convert(err).Message()), "not found")
}

func (c *criAPI) inspect(ctx context.Context, id string) (*Container, error) {
	// Verbose, as Falco's container plugin asks: only the verbose info
	// says whether the container is privileged and which sandbox it is in.
	resp, err := c.client.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id, Verbose: true})
	if err != nil {
		if notFound(err) {
			// The pod's sandbox (pause) process has the sandbox's id.
			if ct, err := c.sandbox(ctx, id); err == nil {
				return ct, nil
			}
			return nil, fmt.Errorf("cri inspect %s: %w", short(id), errNoContainer)
		}
		return nil, fmt.Errorf("cri inspect %s: %w", short(id), err)
	}
	st := resp.GetStatus()
	if st == nil {
		return nil, fmt.Errorf("cri inspect %s: %w", short(id), errNoContainer)
	}
	var info criInfo
	if s := resp.GetInfo()["info"]; s != "" && len(s) <= criMaxInfo {
		_ = json.Unmarshal([]byte(s), &info) // best effort: the fields are optional
	}
	full := st.GetId()
	if full == "" {
		full = id
	}
	ct := &Container{ID: full, Type: c.rt, Name: st.GetMetadata().GetName(), Labels: map[string]string{}}
	for k, v := range st.GetLabels() {
		ct.Labels[k] = v
	}
	ct.StartTS = st.GetStartedAt()
	if ct.StartTS == 0 {
		ct.StartTS = st.GetCreatedAt()
	}
	switch {
	case info.Config.Linux.SecurityContext.Privileged != nil:
		ct.Privileged = *info.Config.Linux.SecurityContext.Privileged
	case info.Privileged != nil:
		ct.Privileged = *info.Privileged
	}
	c.image(ct, st, &info)
	for _, m := range st.GetMounts() {
		ct.Mounts = append(ct.Mounts, Mount{Source: m.GetHostPath(), Dest: m.GetContainerPath(), RW: !m.GetReadonly(), Propagation: propagation(m.GetPropagation())})
	}

	sandbox := info.SandboxID
	if sandbox == "" {
		// Not in the info (or no info): the container list has it.
		l, err := c.client.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{Id: full}})
		if err == nil && len(l.GetContainers()) > 0 {
			sandbox = l.GetContainers()[0].GetPodSandboxId()
		}
	}
	if sandbox != "" {
		ct.SandboxID = sandbox
		ct.Labels["io.kubernetes.sandbox.id"] = sandbox
		if ps, err := c.client.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: sandbox}); err == nil {
			applySandbox(ct, ps.GetStatus())
		} else if ctx.Err() != nil {
			return nil, fmt.Errorf("cri pod sandbox status %s: %w", short(sandbox), err)
		}
	}
	return ct, nil
}

// sandbox answers for a pod sandbox id: the pod, no container details.
func (c *criAPI) sandbox(ctx context.Context, id string) (*Container, error) {
	ps, err := c.client.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id})
	if err != nil {
		return nil, err
	}
	st := ps.GetStatus()
	full := st.GetId()
	if full == "" {
		full = id
	}
	ct := &Container{ID: full, Type: c.rt, SandboxID: full, Labels: map[string]string{"io.kubernetes.sandbox.id": full}, StartTS: st.GetCreatedAt()}
	applySandbox(ct, st)
	return ct, nil
}

// applySandbox adds what the pod sandbox knows: the pod's name, namespace,
// uid and labels, its IP and host namespaces.
func applySandbox(ct *Container, st *runtimeapi.PodSandboxStatus) {
	if st == nil {
		return
	}
	if md := st.GetMetadata(); md != nil {
		ct.Labels["io.kubernetes.pod.name"] = md.GetName()
		ct.Labels["io.kubernetes.pod.namespace"] = md.GetNamespace()
		ct.Labels["io.kubernetes.pod.uid"] = md.GetUid()
	}
	if len(st.GetLabels()) > 0 {
		ct.PodLabels = make(map[string]string, len(st.GetLabels()))
		for k, v := range st.GetLabels() {
			ct.PodLabels[k] = v
		}
	}
	ct.IP = st.GetNetwork().GetIp()
	ns := st.GetLinux().GetNamespaces().GetOptions()
	ct.HostNetwork = ns.GetNetwork() == runtimeapi.NamespaceMode_NODE
	ct.HostPID = ns.GetPid() == runtimeapi.NamespaceMode_NODE
	ct.HostIPC = ns.GetIpc() == runtimeapi.NamespaceMode_NODE
}

// image fills the image fields. The status names the image as the runtime
// stores it (containerd: its first reference, which may be the image id);
// the digest comes from the image ref, and when the name is only an id,
// the name the user asked for comes from the spec's annotations.
func (c *criAPI) image(ct *Container, st *runtimeapi.ContainerStatus, info *criInfo) {
	name := st.GetImage().GetImage()
	ref := st.GetImageRef()
	isID := func(s string) bool { return s == "" || strings.HasPrefix(s, "sha256:") }
	if isID(name) {
		name = st.GetImage().GetUserSpecifiedImage()
	}
	if isID(name) {
		for _, k := range []string{"io.kubernetes.cri.image-name", "io.kubernetes.cri-o.ImageName", "io.kubernetes.cri-o.Image"} {
			if v := info.RuntimeSpec.Annotations[k]; !isID(v) {
				name = v
				break
			}
		}
	}
	fromRef := false
	if i := strings.Index(ref, "@sha256:"); i > 0 {
		ct.ImageDigest = ref[i+1:]
		if isID(name) {
			name, fromRef = ref[:i], true
		}
	}
	if isID(name) {
		name = ""
	}
	ct.Image = name
	if name != "" {
		repo, tag, digest := SplitImage(name)
		if fromRef || (tag == "latest" && !strings.HasSuffix(name, ":latest")) {
			tag = "" // the name carried no tag
		}
		ct.ImageRepository, ct.ImageTag = repo, tag
		if ct.ImageDigest == "" {
			ct.ImageDigest = digest
		}
	}
	id := st.GetImageId()
	if id == "" && strings.HasPrefix(ref, "sha256:") {
		id = ref
	}
	if id == "" {
		id = info.Config.Image.Image
	}
	if strings.HasPrefix(id, "sha256:") {
		ct.ImageID = strings.TrimPrefix(id, "sha256:")
	}
}

func propagation(p runtimeapi.MountPropagation) string {
	switch p {
	case runtimeapi.MountPropagation_PROPAGATION_PRIVATE:
		return "private"
	case runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER:
		return "rslave"
	case runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL:
		return "rshared"
	}
	return ""
}
