package charttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/sakersec/saker/internal/testutil"
)

const (
	release   = "saker"
	namespace = "security"
)

// chartDir is charts/saker in this checkout.
func chartDir() string { return filepath.Join(testutil.RepoRoot(), "charts", "saker") }

// helmBin finds helm, skipping the test without it, or failing under
// SAKER_REQUIRE_PRIVILEGED=1.
func helmBin(t *testing.T) string {
	t.Helper()
	return testutil.NeedTool(t, "helm", "go install helm.sh/helm/v3/cmd/helm@v3.22.0")
}

// helm runs helm with args and returns stdout, or stdout+stderr in err.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(helmBin(t), args...)
	// Keep helm away from the user's repositories and caches.
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("helm %s: %w\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), nil
}

// valueSet is a values file under charts/saker/ci, or "" for the defaults.
func valuesArgs(set string, extra ...string) []string {
	var args []string
	if set != "" {
		args = append(args, "-f", filepath.Join(chartDir(), "ci", set))
	}
	return append(args, extra...)
}

// valueSets lists the chart's CI value sets plus the defaults ("").
func valueSets(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(chartDir(), "ci", "*-values.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no value sets in %s/ci (err %v)", chartDir(), err)
	}
	sets := []string{""}
	for _, f := range files {
		sets = append(sets, filepath.Base(f))
	}
	return sets
}

// manifest is one rendered chart: its objects, strictly decoded.
type manifest struct {
	DaemonSet       *appsv1.DaemonSet
	ServiceAccounts []*corev1.ServiceAccount
	ConfigMaps      map[string]*corev1.ConfigMap // by name
	Secrets         []*corev1.Secret
	Services        []*corev1.Service
	ServiceMonitors []*serviceMonitor
	Kinds           []string // apiVersion/kind of every object, in order
}

// serviceMonitor is the part of monitoring.coreos.com/v1 ServiceMonitor the
// chart renders; decoding strictly into it catches misspelt fields.
type serviceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector          metav1.LabelSelector `json:"selector"`
		NamespaceSelector struct {
			Any        bool     `json:"any,omitempty"`
			MatchNames []string `json:"matchNames,omitempty"`
		} `json:"namespaceSelector"`
		Endpoints []struct {
			Port          string `json:"port"`
			Path          string `json:"path,omitempty"`
			Interval      string `json:"interval,omitempty"`
			ScrapeTimeout string `json:"scrapeTimeout,omitempty"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// rendered caches the manifest of each value set rendered without extra
// arguments: several tests read the same one, and helm is the slow part.
// Tests must not modify a cached manifest.
var rendered sync.Map // value set → *renderOnce

type renderOnce struct {
	once sync.Once
	m    *manifest
	err  error
}

// render runs helm template on a value set (plus --set style extra args)
// and decodes every object.
func render(t *testing.T, set string, extra ...string) *manifest {
	t.Helper()
	if len(extra) == 0 {
		v, _ := rendered.LoadOrStore(set, &renderOnce{})
		r := v.(*renderOnce)
		r.once.Do(func() { r.m, r.err = renderManifest(t, set) })
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.m
	}
	m, err := renderManifest(t, set, extra...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func renderManifest(t *testing.T, set string, extra ...string) (*manifest, error) {
	t.Helper()
	args := append([]string{"template", release, chartDir(), "--namespace", namespace}, valuesArgs(set, extra...)...)
	out, err := helm(t, args...)
	if err != nil {
		return nil, err
	}
	m, err := decodeManifest(out)
	if err != nil {
		return nil, fmt.Errorf("value set %q: %w", set, err)
	}
	return m, nil
}

func decodeManifest(out string) (*manifest, error) {
	m := &manifest{ConfigMaps: map[string]*corev1.ConfigMap{}}
	for i, doc := range strings.Split(out, "\n---\n") {
		js, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("document %d: %w\n%s", i, err, doc)
		}
		if string(js) == "null" {
			continue // comments only
		}
		var tm metav1.TypeMeta
		if err := json.Unmarshal(js, &tm); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		gvk := tm.APIVersion + "/" + tm.Kind
		m.Kinds = append(m.Kinds, gvk)
		var obj any
		switch gvk {
		case "apps/v1/DaemonSet":
			if m.DaemonSet != nil {
				return nil, fmt.Errorf("document %d: a second DaemonSet", i)
			}
			m.DaemonSet = &appsv1.DaemonSet{}
			obj = m.DaemonSet
		case "v1/ServiceAccount":
			o := &corev1.ServiceAccount{}
			m.ServiceAccounts, obj = append(m.ServiceAccounts, o), o
		case "v1/ConfigMap":
			obj = &corev1.ConfigMap{}
		case "v1/Secret":
			o := &corev1.Secret{}
			m.Secrets, obj = append(m.Secrets, o), o
		case "v1/Service":
			o := &corev1.Service{}
			m.Services, obj = append(m.Services, o), o
		case "monitoring.coreos.com/v1/ServiceMonitor":
			o := &serviceMonitor{}
			m.ServiceMonitors, obj = append(m.ServiceMonitors, o), o
		default:
			return nil, fmt.Errorf("document %d: unexpected object %s (add it to the test)", i, gvk)
		}
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.DisallowUnknownFields()
		if err := dec.Decode(obj); err != nil {
			return nil, fmt.Errorf("document %d (%s): %w\n%s", i, gvk, err, doc)
		}
		if cm, ok := obj.(*corev1.ConfigMap); ok {
			m.ConfigMaps[cm.Name] = cm
		}
	}
	if m.DaemonSet == nil {
		return nil, fmt.Errorf("no DaemonSet rendered")
	}
	return m, nil
}

func (m *manifest) container(name string) *corev1.Container {
	for i := range m.DaemonSet.Spec.Template.Spec.Containers {
		if c := &m.DaemonSet.Spec.Template.Spec.Containers[i]; c.Name == name {
			return c
		}
	}
	return nil
}

func (m *manifest) initContainer(name string) *corev1.Container {
	for i := range m.DaemonSet.Spec.Template.Spec.InitContainers {
		if c := &m.DaemonSet.Spec.Template.Spec.InitContainers[i]; c.Name == name {
			return c
		}
	}
	return nil
}

func (m *manifest) volume(name string) *corev1.Volume {
	for i := range m.DaemonSet.Spec.Template.Spec.Volumes {
		if v := &m.DaemonSet.Spec.Template.Spec.Volumes[i]; v.Name == name {
			return v
		}
	}
	return nil
}

func mount(c *corev1.Container, name string) *corev1.VolumeMount {
	for i := range c.VolumeMounts {
		if c.VolumeMounts[i].Name == name {
			return &c.VolumeMounts[i]
		}
	}
	return nil
}

// configData returns a file of the ConfigMap whose name ends in suffix.
func (m *manifest) configData(t *testing.T, suffix, key string) string {
	t.Helper()
	for name, cm := range m.ConfigMaps {
		if strings.HasSuffix(name, suffix) {
			data, ok := cm.Data[key]
			if !ok {
				t.Fatalf("ConfigMap %s has no %s", name, key)
			}
			return data
		}
	}
	t.Fatalf("no ConfigMap named *%s", suffix)
	return ""
}
