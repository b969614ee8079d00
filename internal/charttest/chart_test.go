package charttest

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/sakersec/saker/internal/config"
	sensorconfig "github.com/sakersec/saker/sensor/config"
)

func TestLintStrict(t *testing.T) {
	for _, set := range valueSets(t) {
		t.Run(orDefaults(set), func(t *testing.T) {
			t.Parallel()
			args := append([]string{"lint", "--strict", chartDir()}, valuesArgs(set)...)
			if _, err := helm(t, args...); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func orDefaults(set string) string {
	if set == "" {
		return "defaults"
	}
	return strings.TrimSuffix(set, "-values.yaml")
}

// TestInvariants checks what must hold for every value set: objects decode
// strictly, no RBAC, the pod layout is consistent, host paths are read-only,
// and both generated configurations load with sakerctl's own parsers.
func TestInvariants(t *testing.T) {
	for _, set := range valueSets(t) {
		t.Run(orDefaults(set), func(t *testing.T) {
			t.Parallel()
			m := render(t, set)
			for _, k := range m.Kinds {
				if strings.HasPrefix(k, "rbac.authorization.k8s.io/") {
					t.Errorf("the chart renders %s; the sensor uses no Kubernetes API", k)
				}
			}
			ds := m.DaemonSet
			pod := ds.Spec.Template.Spec
			if !pod.HostPID {
				t.Error("hostPID is false; the sensor must see host processes")
			}
			if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
				t.Error("the service account token is mounted; nothing uses it")
			}
			for k, v := range ds.Spec.Selector.MatchLabels {
				if ds.Spec.Template.Labels[k] != v {
					t.Errorf("selector label %s=%s is not on the pod template", k, v)
				}
			}
			sensor := m.container("sensor")
			if sensor == nil {
				t.Fatal("no sensor container")
			}
			if got := sensor.Args[:3]; !slices.Equal(got, []string{"run", "-c", "/etc/saker/falco.yaml"}) {
				t.Errorf("sensor args start %q, want run -c /etc/saker/falco.yaml", got)
			}
			all := append(slices.Clone(pod.InitContainers), pod.Containers...)
			for _, c := range all {
				if c.Image != sensor.Image {
					t.Errorf("container %s runs %s, the sensor %s: one image serves all", c.Name, c.Image, sensor.Image)
				}
				for _, vm := range c.VolumeMounts {
					v := m.volume(vm.Name)
					if v == nil {
						t.Errorf("container %s mounts volume %q, which the pod does not define", c.Name, vm.Name)
						continue
					}
					if v.HostPath != nil && !vm.ReadOnly {
						t.Errorf("container %s mounts host path %s read-write", c.Name, v.HostPath.Path)
					}
					if v.Secret != nil && !vm.ReadOnly {
						t.Errorf("container %s mounts secret %s read-write", c.Name, v.Secret.SecretName)
					}
					if v.ConfigMap != nil {
						if _, ok := m.ConfigMaps[v.ConfigMap.Name]; !ok {
							t.Errorf("volume %s names ConfigMap %s, which the chart does not render", v.Name, v.ConfigMap.Name)
						}
					}
				}
				if c.Name != "sensor" {
					sc := c.SecurityContext
					if sc == nil || sc.Privileged != nil && *sc.Privileged || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
						t.Errorf("artifact container %s must run unprivileged as non-root: %+v", c.Name, sc)
					}
				}
			}
			if mount(sensor, "host-proc") != nil && envValue(sensor, "HOST_ROOT") != "/host" {
				t.Error("host /proc is mounted but HOST_ROOT is not /host")
			}

			// sakerctl reads the generated config with the same parser as a
			// falcoctl.yaml; every artifact container must agree with it.
			cfg, err := config.Parse([]byte(m.configData(t, "-sakerctl", "sakerctl.yaml")), "sakerctl.yaml")
			if err != nil {
				t.Fatalf("generated sakerctl.yaml: %v", err)
			}
			for _, c := range all {
				if mnt := mount(&c, "rulesfiles"); mnt != nil && mnt.MountPath != cfg.Artifact.Install.RulesfilesDir {
					t.Errorf("container %s mounts the rulesfiles at %s, the config installs to %s", c.Name, mnt.MountPath, cfg.Artifact.Install.RulesfilesDir)
				}
				if mnt := mount(&c, "state"); mnt != nil && mnt.MountPath != cfg.StateDir() {
					t.Errorf("container %s mounts the state at %s, the config uses %s", c.Name, mnt.MountPath, cfg.StateDir())
				}
				if mnt := mount(&c, "sakerctl-config"); mnt != nil && filepath.Join(mnt.MountPath, "sakerctl.yaml") != config.DefaultConfigFile {
					t.Errorf("container %s mounts the sakerctl config at %s, sakerctl reads %s", c.Name, mnt.MountPath, config.DefaultConfigFile)
				}
			}

			// The sensor loads the generated falco.yaml without warnings.
			p := filepath.Join(t.TempDir(), "falco.yaml")
			if err := os.WriteFile(p, []byte(m.configData(t, "-falco", "falco.yaml")), 0o644); err != nil {
				t.Fatal(err)
			}
			scfg, warnings, err := sensorconfig.Load(sensorconfig.LoadOptions{File: p})
			if err != nil {
				t.Fatalf("generated falco.yaml: %v", err)
			}
			for _, w := range warnings {
				t.Errorf("generated falco.yaml: %s", w)
			}
			if scfg.Webserver.Enabled {
				port := containerPort(sensor, "http")
				if port != int32(scfg.Webserver.ListenPort) {
					t.Errorf("container port http is %d, the webserver listens on %d", port, scfg.Webserver.ListenPort)
				}
				for _, p := range []*corev1.Probe{sensor.LivenessProbe, sensor.ReadinessProbe} {
					if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port.String() != "http" {
						t.Errorf("sensor probe %+v, want GET /healthz on port http", p)
					}
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	m := render(t, "")
	if len(m.Secrets) != 0 || len(m.Services) != 0 || len(m.ServiceMonitors) != 0 {
		t.Errorf("defaults render secrets %d, services %d, service monitors %d; want none", len(m.Secrets), len(m.Services), len(m.ServiceMonitors))
	}
	if len(m.ServiceAccounts) != 1 {
		t.Errorf("%d service accounts, want 1", len(m.ServiceAccounts))
	}
	install := m.initContainer("artifact-install")
	if install == nil {
		t.Fatal("no artifact-install init container")
	}
	want := []string{"artifact", "install", "falco-rules:4", "--rulesfiles-dir=/etc/falco", "--plugins-dir=/usr/share/falco/plugins"}
	if !slices.Equal(install.Args, want) {
		t.Errorf("install args %q, want %q", install.Args, want)
	}
	follow := m.container("artifact-follow")
	if follow == nil {
		t.Fatal("no artifact-follow sidecar by default")
	}
	want = []string{"artifact", "follow", "falco-rules:4", "--every=6h", "--rulesfiles-dir=/etc/falco", "--plugins-dir=/usr/share/falco/plugins"}
	if !slices.Equal(follow.Args, want) {
		t.Errorf("follow args %q, want %q", follow.Args, want)
	}
	sensor := m.container("sensor")
	if sc := sensor.SecurityContext; sc == nil || sc.Privileged == nil || !*sc.Privileged {
		t.Errorf("the sensor is not privileged by default: %+v", sc)
	}
	if slices.ContainsFunc(sensor.Args, func(a string) bool { return strings.HasPrefix(a, "--follow") }) {
		t.Errorf("sensor args %q follow in-process while a sidecar follows", sensor.Args)
	}
	for _, name := range []string{"rulesfiles", "plugins"} {
		if mnt := mount(sensor, name); mnt == nil || !mnt.ReadOnly {
			t.Errorf("sensor mount %s = %+v, want read-only (the sidecar writes it)", name, mnt)
		}
		if mnt := mount(follow, name); mnt == nil || mnt.ReadOnly {
			t.Errorf("follow mount %s = %+v, want read-write", name, mnt)
		}
	}
	for name, path := range map[string]string{
		"host-proc": "/host/proc",
		// The sockets' directories: a socket file mounted alone goes
		// stale when the runtime restarts.
		"docker-socket":     "/var/run",
		"containerd-socket": "/run/containerd",
		"crio-socket":       "/run/crio",
	} {
		if mnt := mount(sensor, name); mnt == nil || mnt.MountPath != path || !mnt.ReadOnly {
			t.Errorf("sensor mount %s = %+v, want %s read-only", name, mnt, path)
		}
	}
	for _, arg := range []string{"--docker-socket=/var/run/docker.sock", "--cri-socket=/run/containerd/containerd.sock", "--cri-socket=/run/crio/crio.sock"} {
		if !slices.Contains(sensor.Args, arg) {
			t.Errorf("sensor args %q lack %s (the mounted sockets)", sensor.Args, arg)
		}
	}
	if image := sensor.Image; image != "ghcr.io/sakersec/sakerctl:0.1.0" {
		t.Errorf("image %s, want ghcr.io/sakersec/sakerctl:<appVersion>", image)
	}
	cfg, err := config.Parse([]byte(m.configData(t, "-sakerctl", "sakerctl.yaml")), "sakerctl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Indexes) != 1 || cfg.Indexes[0].Name != "falcosecurity" {
		t.Errorf("indexes %+v, want the falcosecurity index", cfg.Indexes)
	}
	if cfg.Artifact.Follow.Every != "6h" || cfg.Artifact.Follow.StartupBehavior != "jitter" || cfg.Registry.Creds.Config != "" {
		t.Errorf("follow.every %q, startupBehavior %q, creds %q; want 6h, jitter and no credentials file",
			cfg.Artifact.Follow.Every, cfg.Artifact.Follow.StartupBehavior, cfg.Registry.Creds.Config)
	}
}

func TestFollowSidecar(t *testing.T) {
	m := render(t, "follow-sidecar-values.yaml")
	install := m.initContainer("artifact-install")
	if install == nil || !slices.Contains(install.Args, "ghcr.io/example/custom-rules:1.2") {
		t.Fatalf("install container %+v does not install the custom rules", install)
	}
	follow := m.container("artifact-follow")
	if follow == nil {
		t.Fatal("no follow sidecar")
	}
	// artifacts.follow.refs replaces the install list for following.
	if slices.Contains(follow.Args, "ghcr.io/example/custom-rules:1.2") || !slices.Contains(follow.Args, "falco-rules:4") || !slices.Contains(follow.Args, "--every=30m") {
		t.Errorf("follow args %q, want falco-rules:4 only, every 30m", follow.Args)
	}
}

func TestFollowInProcess(t *testing.T) {
	m := render(t, "follow-inprocess-values.yaml")
	if m.container("artifact-follow") != nil {
		t.Error("a follow sidecar is rendered in inprocess mode")
	}
	if m.initContainer("artifact-install") == nil {
		t.Error("no install init container in inprocess mode")
	}
	sensor := m.container("sensor")
	if !slices.Contains(sensor.Args, "--follow=falco-rules:4") {
		t.Errorf("sensor args %q, want --follow=falco-rules:4", sensor.Args)
	}
	for _, name := range []string{"rulesfiles", "plugins", "state"} {
		if mnt := mount(sensor, name); mnt == nil || mnt.ReadOnly {
			t.Errorf("sensor mount %s = %+v, want read-write (the sensor installs updates)", name, mnt)
		}
	}
}

func TestFollowDisabled(t *testing.T) {
	m := render(t, "", "--set", "artifacts.follow.enabled=false", "--set", "artifacts.install.enabled=false")
	if m.container("artifact-follow") != nil || len(m.DaemonSet.Spec.Template.Spec.InitContainers) != 0 {
		t.Error("artifact containers rendered with install and follow disabled")
	}
	if len(m.DaemonSet.Spec.Template.Spec.Containers) != 1 {
		t.Errorf("%d containers, want the sensor alone", len(m.DaemonSet.Spec.Template.Spec.Containers))
	}
}

func TestMinimalCapabilities(t *testing.T) {
	m := render(t, "minimal-caps-values.yaml")
	sensor := m.container("sensor")
	sc := sensor.SecurityContext
	if sc == nil || sc.Privileged == nil || *sc.Privileged {
		t.Fatalf("sensor security context %+v, want privileged: false", sc)
	}
	var add []string
	for _, c := range sc.Capabilities.Add {
		add = append(add, string(c))
	}
	if want := []string{"BPF", "PERFMON", "SYS_RESOURCE", "SYS_PTRACE", "SYS_ADMIN"}; !slices.Equal(add, want) {
		t.Errorf("capabilities added %q, want %q", add, want)
	}
	if len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("capabilities dropped %q, want ALL", sc.Capabilities.Drop)
	}
	if mount(sensor, "docker-socket") != nil || mount(sensor, "containerd-socket") != nil || m.volume("docker-socket") != nil {
		t.Error("runtime sockets set to \"\" are still mounted")
	}
	if mnt := mount(sensor, "crio-socket"); mnt == nil || mnt.MountPath != "/var/run/crio" || !slices.Contains(sensor.Args, "--cri-socket=/var/run/crio/crio.sock") {
		t.Errorf("crio socket mount %+v, args %q: want /var/run/crio and --cri-socket=/var/run/crio/crio.sock", mnt, sensor.Args)
	}
	if mnt := mount(sensor, "host-btf"); mnt == nil || mnt.MountPath != "/sys/kernel/btf" {
		t.Errorf("btf mount %+v, want /sys/kernel/btf", mnt)
	}
	if m.container("artifact-follow") != nil || slices.ContainsFunc(sensor.Args, func(a string) bool { return strings.HasPrefix(a, "--follow") }) {
		t.Error("follow is rendered although artifacts.follow.enabled is false")
	}
}

func TestAuditWebhookAndServiceMonitor(t *testing.T) {
	m := render(t, "audit-monitoring-values.yaml")
	sensor := m.container("sensor")
	if got := containerPort(sensor, "k8s-audit"); got != 9765 {
		t.Errorf("k8s-audit container port %d, want 9765", got)
	}
	var audit, metrics *corev1.Service
	for _, s := range m.Services {
		switch {
		case strings.HasSuffix(s.Name, "-k8s-audit"):
			audit = s
		case strings.HasSuffix(s.Name, "-metrics"):
			metrics = s
		}
	}
	if audit == nil || metrics == nil {
		t.Fatalf("services %v, want a -k8s-audit and a -metrics service", m.Services)
	}
	if audit.Spec.Type != corev1.ServiceTypeNodePort || len(audit.Spec.Ports) != 1 ||
		audit.Spec.Ports[0].NodePort != 30765 || audit.Spec.Ports[0].TargetPort.String() != "k8s-audit" {
		t.Errorf("audit service spec %+v, want NodePort 30765 to port k8s-audit", audit.Spec)
	}
	for _, s := range []*corev1.Service{audit, metrics} {
		for k, v := range s.Spec.Selector {
			if m.DaemonSet.Spec.Template.Labels[k] != v {
				t.Errorf("service %s selects %s=%s, which the pods do not carry", s.Name, k, v)
			}
		}
	}

	// The sensor config loads the built-in k8saudit plugin on the same port and path.
	p := filepath.Join(t.TempDir(), "falco.yaml")
	if err := os.WriteFile(p, []byte(m.configData(t, "-falco", "falco.yaml")), 0o644); err != nil {
		t.Fatal(err)
	}
	scfg, _, err := sensorconfig.Load(sensorconfig.LoadOptions{File: p})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(scfg.LoadPlugins, "k8saudit") || !slices.Contains(scfg.LoadPlugins, "json") {
		t.Errorf("load_plugins %q, want k8saudit and json", scfg.LoadPlugins)
	}
	if !slices.Contains(scfg.RulesFiles, "/etc/falco/k8s_audit_rules.yaml") {
		t.Errorf("rules_files %q lack the audit rules", scfg.RulesFiles)
	}
	// The audit rules are installed and followed with the others.
	for _, c := range []*corev1.Container{m.initContainer("artifact-install"), m.container("artifact-follow")} {
		if !slices.Contains(c.Args, "k8saudit-rules:0.11") || !slices.Contains(c.Args, "falco-rules:4") {
			t.Errorf("%s args %q, want falco-rules:4 and k8saudit-rules:0.11", c.Name, c.Args)
		}
	}
	var openParams []string
	for _, pl := range scfg.Plugins {
		if pl.Name == "k8saudit" {
			openParams = append(openParams, pl.OpenParams)
		}
	}
	if !slices.Equal(openParams, []string{"http://:9765/k8s-audit"}) {
		t.Errorf("k8saudit open_params %q, want one http://:9765/k8s-audit", openParams)
	}

	if len(m.ServiceMonitors) != 1 {
		t.Fatalf("%d ServiceMonitors, want 1", len(m.ServiceMonitors))
	}
	sm := m.ServiceMonitors[0]
	if sm.Labels["release"] != "prometheus" {
		t.Errorf("ServiceMonitor labels %v lack release=prometheus", sm.Labels)
	}
	for k, v := range sm.Spec.Selector.MatchLabels {
		if metrics.Labels[k] != v {
			t.Errorf("ServiceMonitor selects %s=%s, which the metrics service does not carry", k, v)
		}
	}
	if sm.Spec.Selector.MatchLabels["app.kubernetes.io/component"] != "metrics" {
		t.Error("the ServiceMonitor would also select the audit service")
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != metrics.Spec.Ports[0].Name || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoints %+v, want /metrics on service port %s", sm.Spec.Endpoints, metrics.Spec.Ports[0].Name)
	}
	if !slices.Equal(sm.Spec.NamespaceSelector.MatchNames, []string{namespace}) {
		t.Errorf("ServiceMonitor namespaces %q, want %s", sm.Spec.NamespaceSelector.MatchNames, namespace)
	}
}

func TestExistingSecret(t *testing.T) {
	m := render(t, "existing-secret-values.yaml")
	if len(m.Secrets) != 0 {
		t.Errorf("%d Secrets rendered; an existing one is named", len(m.Secrets))
	}
	v := m.volume("registry-creds")
	if v == nil || v.Secret == nil || v.Secret.SecretName != "my-registry-creds" ||
		len(v.Secret.Items) != 1 || v.Secret.Items[0].Key != ".dockerconfigjson" || v.Secret.Items[0].Path != "config.json" {
		t.Fatalf("registry-creds volume %+v, want my-registry-creds/.dockerconfigjson as config.json", v)
	}
	cfg, err := config.Parse([]byte(m.configData(t, "-sakerctl", "sakerctl.yaml")), "sakerctl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Every container that pulls (install, and the sensor following in-process) sees the file the config names.
	for _, c := range []*corev1.Container{m.initContainer("artifact-install"), m.container("sensor")} {
		mnt := mount(c, "registry-creds")
		if mnt == nil || !mnt.ReadOnly || filepath.Join(mnt.MountPath, "config.json") != cfg.Registry.Creds.Config {
			t.Errorf("container %s registry-creds mount %+v, want read-only holding %s", c.Name, mnt, cfg.Registry.Creds.Config)
		}
	}
}

func TestCreatedSecret(t *testing.T) {
	m := render(t, "created-secret-values.yaml")
	if len(m.Secrets) != 1 {
		t.Fatalf("%d Secrets, want 1", len(m.Secrets))
	}
	s := m.Secrets[0]
	if s.Type != corev1.SecretTypeDockerConfigJson {
		t.Errorf("secret type %s, want %s", s.Type, corev1.SecretTypeDockerConfigJson)
	}
	var dc struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(s.Data[corev1.DockerConfigJsonKey], &dc); err != nil {
		t.Fatalf("secret %s: %v", corev1.DockerConfigJsonKey, err)
	}
	if got, want := dc.Auths["registry.example.com"].Auth, base64.StdEncoding.EncodeToString([]byte("reader:s3cret")); got != want {
		t.Errorf("auth for registry.example.com = %q, want %q", got, want)
	}
	if v := m.volume("registry-creds"); v == nil || v.Secret.SecretName != s.Name {
		t.Errorf("registry-creds volume %+v does not mount secret %s", v, s.Name)
	}
	if img := m.container("sensor").Image; !strings.HasSuffix(img, "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef") {
		t.Errorf("image %s, want the digest from values", img)
	}
}

// TestSchemaRejects checks that values.schema.json catches mistakes before
// anything reaches a cluster.
func TestSchemaRejects(t *testing.T) {
	cases := map[string]struct{ set, want string }{
		"unknown follow mode":   {"artifacts.follow.mode=daemon", "/artifacts/follow/mode"},
		"misspelt key":          {"sensor.privilegd=false", "privilegd"},
		"bad interval":          {"artifacts.follow.every=daily", "/artifacts/follow/every"},
		"relative dir":          {"paths.rulesfilesDir=etc/falco", "/paths/rulesfilesDir"},
		"port out of range":     {"auditWebhook.port=70000", "/auditWebhook/port"},
		"unknown index backend": {"sakerctl.config.indexes[0].backend=ftp", "backend"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := helm(t, "template", release, chartDir(), "--set", c.set)
			if err == nil {
				t.Fatalf("--set %s rendered; the schema should reject it", c.set)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error does not name %s:\n%v", c.want, err)
			}
		})
	}
}

func TestServiceMonitorNeedsWebserver(t *testing.T) {
	_, err := helm(t, "template", release, chartDir(), "--set", "metrics.serviceMonitor.enabled=true", "--set", "falco.webserver.enabled=false")
	if err == nil || !strings.Contains(err.Error(), "falco.webserver.enabled") {
		t.Errorf("a ServiceMonitor without the webserver rendered or failed unhelpfully: %v", err)
	}
}

func containerPort(c *corev1.Container, name string) int32 {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

func envValue(c *corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}
