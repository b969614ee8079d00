package run

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/sensor/alert"
)

const criTestImage = "docker.io/saker-test/busybox:cri"

// A pod on a real containerd, created through the CRI API as the kubelet
// does, reads /etc/shadow: the alert names the container, the pod and its
// namespace, which the sensor asked containerd's CRI for.
func TestAcceptanceCRIContainerd(t *testing.T) {
	testutil.NeedBPF(t)
	containerd := testutil.NeedTool(t, "containerd", "apt-get install containerd")
	ctr := testutil.NeedTool(t, "ctr", "apt-get install containerd")
	testutil.NeedTool(t, "containerd-shim-runc-v2", "apt-get install containerd")
	testutil.NeedTool(t, "runc", "apt-get install runc")
	if _, err := os.Stat("/bin/busybox"); err != nil {
		if testutil.RequirePrivileged() {
			t.Fatal("/bin/busybox is required (apt-get install busybox-static)")
		}
		t.Skip("/bin/busybox (busybox-static) not installed")
	}
	rulesFile := testutil.Upstream(t, "rules/falco_rules.yaml")

	// A short directory: unix socket paths are limited to 108 bytes.
	dir, err := os.MkdirTemp("", "saker-ctrd")
	if err != nil {
		t.Fatal(err)
	}
	// containerd 1.6 keeps shim sockets and runc state under
	// /run/containerd whatever its configuration says: remove the
	// directories this test creates there (only empty ones).
	runDirs := []string{"/run/containerd/runc/k8s.io", "/run/containerd/runc", "/run/containerd/s", "/run/containerd/fifo", "/run/containerd"}
	var created []string
	for _, d := range runDirs {
		if !fileExists(d) {
			created = append(created, d)
		}
	}
	t.Cleanup(func() {
		os.RemoveAll(dir)
		for _, d := range created {
			syscall.Rmdir(d)
		}
	})
	sock := startContainerd(t, containerd, dir)

	archive := filepath.Join(dir, "image.tar")
	writeBusyboxImage(t, archive, criTestImage)
	if out, err := exec.Command(ctr, "--address", sock, "-n", "k8s.io", "images", "import", archive).CombinedOutput(); err != nil {
		t.Fatalf("ctr images import: %v\n%s", err, out)
	}

	// The sensor asks only this containerd, configured as Falco's
	// container plugin is.
	col, s := startSensor(t, rulesFile, `append_output[]={"suggested_output": true}`,
		`plugins=[{name: container, init_config: {engines: {docker: {enabled: false}, podman: {enabled: false}, cri: {enabled: true, sockets: [`+sock+`]}}}}]`)

	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() }) // after the sandbox's removal below
	rt := runtimeapi.NewRuntimeServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	uid := fmt.Sprintf("5a4e0000-0000-4000-8000-%012d", os.Getpid())
	sbCfg := &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: "saker-web", Namespace: "saker-test", Uid: uid},
		Labels:       map[string]string{"app": "saker-web"},
		LogDirectory: filepath.Join(dir, "logs"),
		Linux: &runtimeapi.LinuxPodSandboxConfig{
			// The kubelet's cgroupfs layout; host network needs no CNI.
			CgroupParent:    "/kubepods/besteffort/pod" + uid,
			SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{NamespaceOptions: &runtimeapi.NamespaceOption{Network: runtimeapi.NamespaceMode_NODE}},
		},
	}
	sb, err := rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: sbCfg})
	if err != nil {
		t.Fatalf("RunPodSandbox: %v", err)
	}
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), time.Minute)
		defer ccancel()
		rt.StopPodSandbox(cctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: sb.PodSandboxId})
		rt.RemovePodSandbox(cctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: sb.PodSandboxId})
		// The kubelet owns the pod's cgroup; here the test does (rmdir
		// removes only empty ones; the runtime's cgroups below may take a
		// moment to go).
		for try := 0; try < 50; try++ {
			left := 0
			for _, d := range []string{"kubepods/besteffort/pod" + uid, "kubepods/besteffort", "kubepods"} {
				cgs, _ := filepath.Glob("/sys/fs/cgroup/*/" + d)
				for _, cg := range append(cgs, "/sys/fs/cgroup/"+d) {
					if err := syscall.Rmdir(cg); err != nil && !os.IsNotExist(err) {
						left++
					}
				}
			}
			if left == 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	// The container waits for a file before reading /etc/shadow, so the
	// test can let the sensor learn the container first.
	syncDir := filepath.Join(dir, "sync")
	os.MkdirAll(syncDir, 0o755)
	c, err := rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{
		PodSandboxId: sb.PodSandboxId,
		Config: &runtimeapi.ContainerConfig{
			Metadata: &runtimeapi.ContainerMetadata{Name: "web"},
			Image:    &runtimeapi.ImageSpec{Image: criTestImage},
			Command:  []string{"/bin/sh", "-c", "while [ ! -e /sync/go ]; do sleep 0.05; done; cat /etc/shadow"},
			Mounts:   []*runtimeapi.Mount{{ContainerPath: "/sync", HostPath: syncDir, Readonly: true}},
			LogPath:  "web.log",
			// What the kubelet sets on every container.
			Labels: map[string]string{
				"io.kubernetes.container.name": "web", "io.kubernetes.pod.name": "saker-web",
				"io.kubernetes.pod.namespace": "saker-test", "io.kubernetes.pod.uid": uid,
			},
		},
		SandboxConfig: sbCfg,
	})
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	id := c.ContainerId
	if _, err := rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: id}); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c := s.Containers().Get(id); c != nil && c.Resolved {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sensor never resolved the container's metadata")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := os.WriteFile(filepath.Join(syncDir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	a := col.wait(t, "Read sensitive file untrusted", func(a *alert.Alert) bool { return fieldOf(a, "container.id") == id[:12] })
	expectFields(t, a, map[string]any{
		"fd.name": "/etc/shadow", "container.id": id[:12], "container.name": "web",
		"container.image.repository": "docker.io/saker-test/busybox", "container.image.tag": "cri",
		"k8s.pod.name": "saker-web", "k8s.ns.name": "saker-test", "user.name": "ctr-root",
	})
	for _, want := range []string{"container_name=web", "k8s_ns=saker-test", "k8s_pod_name=saker-web"} {
		if !strings.Contains(a.Output, want) {
			t.Errorf("output lacks %s: %s", want, a.Output)
		}
	}
	if ct := s.Containers().Get(id); ct.Type != "containerd" || ct.PodLabels["app"] != "saker-web" {
		t.Errorf("container type %q, pod labels %v: want containerd and the sandbox's app=saker-web", ct.Type, ct.PodLabels)
	}
}

// startContainerd runs containerd with the CRI plugin on its own root,
// state and socket in dir, and returns the socket.
func startContainerd(t *testing.T, bin, dir string) string {
	t.Helper()
	sock := filepath.Join(dir, "containerd.sock")
	cfg := filepath.Join(dir, "config.toml")
	os.MkdirAll(filepath.Join(dir, "cni"), 0o755)
	body := fmt.Sprintf(`version = 2
root = %q
state = %q
[grpc]
  address = %q
[ttrpc]
  address = %q
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  # The sandbox's oom_score_adj (-998) is not allowed in every test
  # environment; keep the runtime's own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %q
    conf_dir = %q
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), sock, sock+".ttrpc", criTestImage, filepath.Join(dir, "cni"), filepath.Join(dir, "cni"))
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "containerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", cfg, "--log-level", "info")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		reapShims(t, sock, dir)
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			if len(b) > 8<<10 {
				b = b[len(b)-8<<10:]
			}
			t.Logf("containerd log (tail):\n%s", b)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if fi, err := os.Stat(sock); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return sock
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("containerd exited:\n%s", b)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("containerd did not create its socket within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writeBusyboxImage writes an OCI image archive named name: Debian's
// static busybox as the shell and the tools, its own passwd (uid 0 is
// ctr-root) and shadow. Its default command sleeps, so it also serves as
// the pod's sandbox image.
func writeBusyboxImage(t *testing.T, archive, name string) {
	t.Helper()
	busybox, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	dirs := []string{"bin", "etc", "tmp", "proc", "sys", "dev", "sync"}
	for _, d := range dirs {
		tw.WriteHeader(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755})
	}
	file := func(name string, mode int64, b []byte) {
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: mode, Size: int64(len(b))})
		tw.Write(b)
	}
	file("bin/busybox", 0o755, busybox)
	for _, applet := range []string{"sh", "cat", "sleep"} {
		tw.WriteHeader(&tar.Header{Name: "bin/" + applet, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777})
	}
	file("etc/passwd", 0o644, []byte("ctr-root:x:0:0:root:/root:/bin/sh\n"))
	file("etc/group", 0o644, []byte("root:x:0:\n"))
	file("etc/shadow", 0o600, []byte("ctr-root:*:19000:0:99999:7:::\n"))
	tw.Close()

	digest := func(b []byte) string { s := sha256.Sum256(b); return "sha256:" + hex.EncodeToString(s[:]) }
	blobs := map[string][]byte{}
	put := func(b []byte) string { d := digest(b); blobs[d] = b; return d }
	desc := func(mediaType string, b []byte) map[string]any {
		return map[string]any{"mediaType": mediaType, "digest": put(b), "size": len(b)}
	}
	config, _ := json.Marshal(map[string]any{
		"architecture": runtime.GOARCH, "os": "linux",
		"config": map[string]any{"Cmd": []string{"/bin/sleep", "100000"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{digest(layer.Bytes())}},
	})
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": desc("application/vnd.oci.image.config.v1+json", config),
		"layers": []any{desc("application/vnd.oci.image.layer.v1.tar", layer.Bytes())},
	})
	md := desc("application/vnd.oci.image.manifest.v1+json", manifest)
	md["annotations"] = map[string]string{"io.containerd.image.name": name, "org.opencontainers.image.ref.name": name[strings.LastIndexByte(name, ':')+1:]}
	index, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []any{md}})

	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	aw := tar.NewWriter(f)
	add := func(name string, b []byte) {
		aw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))})
		aw.Write(b)
	}
	add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	add("index.json", index)
	for d, b := range blobs {
		add("blobs/sha256/"+strings.TrimPrefix(d, "sha256:"), b)
	}
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// reapShims waits for the shims this test's containerd started to exit
// (they do once their pod is removed), then, as the safety net when a test
// failed before that, kills them and their containers (which ignore
// SIGTERM as pid 1) and unmounts what is left under dir.
func reapShims(t *testing.T, sock, dir string) {
	deadline := time.Now().Add(10 * time.Second)
	shims, parent := shimsOf(sock)
	for len(shims) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		shims, parent = shimsOf(sock)
	}
	for pid, ppid := range parent {
		if shims[ppid] {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	for pid := range shims {
		t.Logf("killing leftover shim %d", pid)
		syscall.Kill(pid, syscall.SIGKILL)
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	var mounts []string
	for _, l := range strings.Split(string(mi), "\n") {
		if f := strings.Fields(l); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			mounts = append(mounts, f[4])
		}
	}
	for i := len(mounts) - 1; i >= 0; i-- {
		syscall.Unmount(mounts[i], syscall.MNT_DETACH)
	}
}

// shimsOf returns the live (not zombie) shims serving sock, and every
// process's parent.
func shimsOf(sock string) (shims map[int]bool, parent map[int]int) {
	shims, parent = map[int]bool{}, map[int]int{}
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		var pid int
		fmt.Sscanf(filepath.Base(filepath.Dir(p)), "%d", &pid)
		st, _ := os.ReadFile(p)
		i := bytes.LastIndexByte(st, ')')
		if i < 0 || i+2 >= len(st) {
			continue
		}
		var state string
		var ppid int
		fmt.Sscanf(string(st[i+2:]), "%s %d", &state, &ppid)
		parent[pid] = ppid
		if state == "Z" {
			continue
		}
		b, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "cmdline"))
		if strings.Contains(string(b), "containerd-shim") && strings.Contains(string(b), "\x00"+sock+"\x00") {
			shims[pid] = true
		}
	}
	return shims, parent
}
