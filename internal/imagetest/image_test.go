package imagetest

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sakersec/saker/internal/testregistry"
	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/internal/version"
)

// image is a freshly built sakerctl image.
type image struct {
	ref     string // repository:tag
	version string // the version stamped into the binary
	context string // the staged build context (holds the host binary)
}

func buildImage(t *testing.T) *image {
	t.Helper()
	testutil.NeedDocker(t)
	testutil.NeedTool(t, "make", "apt-get install make; it builds the image")
	id := randomHex(t)
	img := &image{
		ref: "saker-imagetest:" + id,
		// A fixed version keeps the go build cached between runs.
		version: "0.0.0-imagetest",
		context: filepath.Join(t.TempDir(), "image"),
	}
	out, err := exec.Command("make", "-C", testutil.RepoRoot(), "image",
		"IMAGE="+img.ref, "IMAGE_CONTEXT="+img.context, "VERSION="+img.version).CombinedOutput()
	if err != nil {
		t.Fatalf("make image: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", img.ref).Run() })
	return img
}

func randomHex(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// docker runs the docker CLI and returns its stdout.
func docker(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("docker", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("docker %s: %w\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), nil
}

// TestImage builds the image once and runs the checks on it.
func TestImage(t *testing.T) {
	img := buildImage(t)
	t.Run("contents", func(t *testing.T) { testContents(t, img) })
	t.Run("version", func(t *testing.T) { testVersion(t, img) })
	t.Run("artifact install", func(t *testing.T) { testInstall(t, img) })
}

// testContents checks the image's filesystem and configuration: only what
// the Dockerfile promises, with /tmp usable by the non-root artifact
// containers.
func testContents(t *testing.T, img *image) {
	out, err := docker(t, "image", "inspect", "--format", "{{json .Config.Entrypoint}} {{json .Config.User}} {{index .Config.Labels \"org.opencontainers.image.version\"}}", img.ref)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(out), `["/usr/bin/sakerctl"] "" `+img.version; got != want {
		t.Errorf("entrypoint, user, version label = %s, want %s", got, want)
	}

	id, err := docker(t, "create", img.ref)
	if err != nil {
		t.Fatal(err)
	}
	id = strings.TrimSpace(id)
	defer func() { _, _ = docker(t, "rm", "-f", id) }()
	cmd := exec.Command("docker", "export", id)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	files := map[string]*tar.Header{}
	var passwd string
	tr := tar.NewReader(stdout)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading docker export: %v", err)
		}
		name := strings.TrimSuffix(h.Name, "/")
		files[name] = h
		if name == "etc/passwd" {
			b, _ := io.ReadAll(tr)
			passwd = string(b)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("docker export: %v", err)
	}
	for _, f := range []string{"usr/bin/sakerctl", "etc/ssl/certs/ca-certificates.crt", "etc/passwd", "etc/group", "tmp"} {
		if files[f] == nil {
			t.Errorf("the image lacks /%s", f)
		}
	}
	if h := files["usr/bin/sakerctl"]; h != nil && h.Mode&0o111 == 0 {
		t.Errorf("/usr/bin/sakerctl mode %o is not executable", h.Mode)
	}
	if h := files["etc/ssl/certs/ca-certificates.crt"]; h != nil && h.Size == 0 {
		t.Error("the CA bundle is empty")
	}
	if h := files["tmp"]; h != nil && (h.Typeflag != tar.TypeDir || h.Mode&0o1777 != 0o1777) {
		t.Errorf("/tmp type %c mode %o, want a mode 1777 directory", h.Typeflag, h.Mode&0o7777)
	}
	if !strings.Contains(passwd, ":65534:65534:") {
		t.Errorf("/etc/passwd has no user 65534 (the chart's artifact containers run as it):\n%s", passwd)
	}
	// Nothing else: no shell, no package manager, no libc.
	for name, h := range files {
		// Docker itself adds /.dockerenv, /etc/hosts and the like, and mount points under /dev, /proc and /sys.
		runtimeAdded := name == ".dockerenv" || strings.HasPrefix(name, "dev/") || strings.HasPrefix(name, "proc/") || strings.HasPrefix(name, "sys/")
		if h.Typeflag == tar.TypeReg && !runtimeAdded && !strings.HasPrefix(name, "etc/") && name != "usr/bin/sakerctl" {
			t.Errorf("unexpected file /%s in the image", name)
		}
	}
}

func testVersion(t *testing.T, img *image) {
	out, err := docker(t, "run", "--rm", img.ref, "version", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var info version.Info
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&info); err != nil {
		t.Fatalf("version -o json: %v\n%s", err, out)
	}
	if info.Version != img.version {
		t.Errorf("version %q, want %q (stamped by make image)", info.Version, img.version)
	}
	if info.Commit == "" || info.Commit == "unknown" {
		t.Errorf("commit %q, want the git revision", info.Commit)
	}
	if want := "linux/" + runtime.GOARCH; info.Platform != want {
		t.Errorf("platform %q, want %q", info.Platform, want)
	}
	if info.EngineVersionSemver != version.EngineVersionSemver {
		t.Errorf("engine version %q, want %q", info.EngineVersionSemver, version.EngineVersionSemver)
	}
}

// testInstall pushes three versions of a rulesfile to a loopback registry
// and installs a semver range from inside the container, run the way the
// chart's init container runs: user 65534, read-only root filesystem, the
// config mounted at /etc/sakerctl and emptyDir-like volumes for the rules
// and the state.
func testInstall(t *testing.T, img *image) {
	reg := testregistry.New(t, testregistry.Options{})
	work := t.TempDir()
	hostCfg := filepath.Join(work, "host.yaml")
	writeFile(t, hostCfg, "artifact:\n  install:\n    stateDir: "+filepath.Join(work, "host-state")+"\n", 0o644)
	for _, v := range []string{"1.0.0", "1.1.0", "2.0.0"} {
		// The name falco-rules installs, which the chart's default rules_files reads.
		rules := filepath.Join(work, "falco_rules.yaml")
		writeFile(t, rules, "- rule: Image test "+v+"\n  desc: pushed by the image test\n  condition: evt.type = execve\n  output: exec %proc.name\n  priority: NOTICE\n", 0o644)
		// The host build of the same binary pushes with the CLI.
		push := exec.Command(filepath.Join(img.context, "rootfs", "usr", "bin", "sakerctl"), "--config", hostCfg, "registry", "push",
			reg.Ref("rules/image-test", v), rules, "--type", "rulesfile", "--version", v, "--plain-http")
		if out, err := push.CombinedOutput(); err != nil {
			t.Fatalf("registry push %s: %v\n%s", v, err, out)
		}
	}

	// Writable by the container's user 65534, like emptyDirs.
	rulesDir := mkdirAll(t, filepath.Join(work, "rules"))
	stateDir := mkdirAll(t, filepath.Join(work, "state"))
	cfgDir := mkdirAll(t, filepath.Join(work, "sakerctl"))
	writeFile(t, filepath.Join(cfgDir, "sakerctl.yaml"), "artifact:\n  install:\n    stateDir: /var/lib/sakerctl\n    rulesfilesDir: /etc/falco\n", 0o644)

	out, err := docker(t, "run", "--rm", "--network", "host",
		"--user", "65534:65534", "--read-only", "--tmpfs", "/tmp",
		"-v", cfgDir+":/etc/sakerctl:ro",
		"-v", rulesDir+":/etc/falco",
		"-v", stateDir+":/var/lib/sakerctl",
		img.ref, "artifact", "install", reg.Ref("rules/image-test", "1"), "--plain-http", "--log-format", "text")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(rulesDir, "falco_rules.yaml"))
	if err != nil {
		t.Fatalf("the installed rulesfile is not in the mounted directory: %v\ninstall output:\n%s", err, out)
	}
	if !strings.Contains(string(got), "Image test 1.1.0") {
		t.Errorf("installed rulesfile is not version 1.1.0 (the highest matching 1):\n%s", got)
	}
	entries, err := os.ReadDir(stateDir)
	if err != nil || len(entries) == 0 {
		t.Errorf("install left no state in the mounted state dir (err %v)", err)
	}

	// As falcoctl's replacement in the official Falco chart: same argument
	// style, refs and directories from falcoctl.yaml at /etc/falcoctl, an
	// index the air-gapped node cannot reach.
	falcoctlDir := mkdirAll(t, filepath.Join(work, "falcoctl"))
	writeFile(t, filepath.Join(falcoctlDir, "falcoctl.yaml"), `artifact:
  allowedTypes:
    - rulesfile
    - plugin
  install:
    refs:
      - `+reg.Ref("rules/image-test", "2")+`
    resolveDeps: true
    rulesfilesDir: /rulesfiles
    pluginsDir: /plugins
  follow:
    every: 6h
    falcoversions: http://localhost:8765/versions
    refs:
      - `+reg.Ref("rules/image-test", "2")+`
    rulesfilesDir: /rulesfiles
    pluginsDir: /plugins
indexes:
  - name: falcosecurity
    url: https://falcosecurity.github.io/falcoctl/index.yaml
`, 0o644)
	dropinRules := mkdirAll(t, filepath.Join(work, "dropin-rules"))
	out, err = docker(t, "run", "--rm", "--network", "host",
		"-v", falcoctlDir+":/etc/falcoctl:ro",
		"-v", dropinRules+":/rulesfiles",
		img.ref, "artifact", "install", "--config=/etc/falcoctl/falcoctl.yaml", "--log-format=json", "--plain-http")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dropinRules, "falco_rules.yaml")); err != nil || !strings.Contains(string(got), "Image test 2.0.0") {
		t.Errorf("falcoctl-style install did not put version 2.0.0 in rulesfilesDir (err %v):\n%s\ninstall output:\n%s", err, got, out)
	}

	// The sensor container's turn: the chart's default falco.yaml and the
	// installed rules, mounted read-only as in the pod. --dry-run loads the
	// configuration and the rules without capturing.
	falcoDir := mkdirAll(t, filepath.Join(work, "saker"))
	writeFile(t, filepath.Join(falcoDir, "falco.yaml"), chartFalcoConfig(t), 0o644)
	out, err = docker(t, "run", "--rm", "--read-only", "--tmpfs", "/tmp",
		"-v", falcoDir+":/etc/saker:ro",
		"-v", rulesDir+":/etc/falco:ro",
		img.ref, "run", "-c", "/etc/saker/falco.yaml", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Rules: 1 of 1 enabled") || !strings.Contains(out, "/etc/falco/falco_rules.yaml") {
		t.Errorf("sensor dry-run did not load the installed rules from /etc/falco/falco_rules.yaml:\n%s", out)
	}
}

// chartFalcoConfig returns the chart's default sensor configuration, the
// `falco:` value that becomes the falco.yaml ConfigMap.
func chartFalcoConfig(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "charts", "saker", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		Falco map[string]any `yaml:"falco"`
	}
	if err := yaml.Unmarshal(data, &values); err != nil || values.Falco == nil {
		t.Fatalf("charts/saker/values.yaml: no falco: value (err %v)", err)
	}
	out, err := yaml.Marshal(values.Falco)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func writeFile(t *testing.T, path, body string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
}

func mkdirAll(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	// MkdirAll's mode is masked by the umask.
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}
