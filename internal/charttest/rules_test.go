package charttest

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sakersec/saker/internal/config"
	sensorconfig "github.com/sakersec/saker/sensor/config"
	"github.com/sakersec/saker/sensor/runner"
)

// installedFiles maps the index names the chart installs by default to the
// file each rulesfile artifact puts in the rulesfiles directory.
var installedFiles = map[string]struct{ file, body string }{
	"falco-rules":    {"falco_rules.yaml", "- rule: Shell in container\n  desc: d\n  condition: evt.type = execve and proc.name = sh\n  output: shell %proc.name\n  priority: WARNING\n"},
	"k8saudit-rules": {"k8s_audit_rules.yaml", "- rule: Secret read\n  desc: d\n  condition: ka.verb = get and ka.target.resource = secrets\n  output: secret read by %ka.user.name\n  priority: WARNING\n  source: k8s_audit\n"},
}

// TestSensorLoadsRenderedRules starts from what the pod holds after the init
// container ran, the rendered falco.yaml and the rulesfiles the install refs
// put in the shared directory, and checks that the sensor's own rules
// loading accepts it: every rules_files entry is where the artifacts land, and
// none is missing where the sensor would refuse to start.
func TestSensorLoadsRenderedRules(t *testing.T) {
	// A value set without the install init container skips; if every
	// rendered one did, nothing would have been checked.
	var rendered, installs atomic.Int32
	t.Cleanup(func() { // after every (parallel) subtest
		if rendered.Load() > 0 && installs.Load() == 0 {
			t.Errorf("none of the %d rendered value sets has the artifact-install init container: nothing was checked", rendered.Load())
		}
	})
	for _, set := range valueSets(t) {
		t.Run(orDefaults(set), func(t *testing.T) {
			t.Parallel()
			m := render(t, set)
			rendered.Add(1)
			sk, err := config.Parse([]byte(m.configData(t, "-sakerctl", "sakerctl.yaml")), "sakerctl.yaml")
			if err != nil {
				t.Fatal(err)
			}
			installDir := sk.Artifact.Install.RulesfilesDir

			// The shared emptyDir after `artifact install`.
			dir := t.TempDir()
			install := m.initContainer("artifact-install")
			if install == nil {
				t.Skip("no install init container in this value set")
			}
			installs.Add(1)
			for _, arg := range install.Args {
				name, _, _ := strings.Cut(arg, ":")
				if f, ok := installedFiles[name]; ok {
					if err := os.WriteFile(filepath.Join(dir, f.file), []byte(f.body), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}

			p := filepath.Join(t.TempDir(), "falco.yaml")
			if err := os.WriteFile(p, []byte(m.configData(t, "-falco", "falco.yaml")), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, _, err := sensorconfig.Load(sensorconfig.LoadOptions{File: p})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range cfg.RulesFiles {
				if !strings.HasPrefix(f, installDir+"/") {
					t.Errorf("rules_files entry %s is outside %s, where the artifacts are installed", f, installDir)
				}
			}
			// The sensor tolerates absent entries in Falco's default list
			// only; there, at least one must be installed, or the sensor
			// silently runs on its embedded rules instead.
			if strings.Join(cfg.RulesFiles, ",") == strings.Join(sensorconfig.DefaultRulesFiles, ",") {
				for _, f := range cfg.RulesFiles {
					if _, err := os.Stat(filepath.Join(dir, strings.TrimPrefix(f, installDir+"/"))); err == nil {
						return
					}
				}
				t.Fatalf("none of the default rules_files %q is installed by %q", cfg.RulesFiles, install.Args)
			}
			// Any other list must exist in full: relocate it to the test's directory and load.
			for i, f := range cfg.RulesFiles {
				cfg.RulesFiles[i] = filepath.Join(dir, strings.TrimPrefix(f, installDir+"/"))
			}
			if _, _, _, err := runner.LoadRules(cfg, slog.New(slog.DiscardHandler)); err != nil {
				t.Errorf("the sensor would not start on the rendered rules_files %q with the installed files: %v", cfg.RulesFiles, err)
			}
		})
	}
}
