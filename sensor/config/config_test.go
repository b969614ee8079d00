package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/testutil"
)

func write(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUpstreamFalcoYAMLLoads(t *testing.T) {
	p := testutil.Upstream(t, "falco.yaml")
	cfg, ws, err := Load(LoadOptions{File: p})
	if err != nil {
		t.Fatalf("upstream falco.yaml: %v", err)
	}
	for _, w := range ws {
		if w.File != p {
			t.Errorf("warning does not name the file: %v", w)
		}
		t.Logf("warning: %v", w)
	}
	if !cfg.Webserver.Enabled || cfg.Webserver.ListenPort != 8765 || cfg.Webserver.K8sHealthzEndpoint != "/healthz" {
		t.Errorf("webserver = %+v", cfg.Webserver)
	}
	if cfg.RuleMatching != "first" || !cfg.StdoutOutput.Enabled || cfg.HTTPOutput.UserAgent != "falcosecurity/falco" {
		t.Errorf("cfg = %+v", cfg)
	}
	if len(cfg.RulesFiles) != 3 || cfg.RulesFiles[0] != "/etc/falco/falco_rules.yaml" {
		t.Errorf("rules_files = %v", cfg.RulesFiles)
	}
	if len(cfg.AppendOutput) == 0 || !cfg.AppendOutput[0].SuggestedOutput {
		t.Errorf("append_output = %+v", cfg.AppendOutput)
	}

	// The same file with Falco features Saker lacks switched on: warnings
	// naming each key, still no error.
	_, ws, err = Load(LoadOptions{File: p, Overrides: []string{"capture.enabled=true", "load_plugins=[k8smeta]", "grpc_output.enabled=true"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"capture.enabled", "load_plugins", "grpc_output.enabled"} {
		if !hasWarning(ws, key) {
			t.Errorf("no warning for %s in %v", key, ws)
		}
	}
}

func hasWarning(ws []Warning, key string) bool {
	for _, w := range ws {
		if w.Key == key {
			return true
		}
	}
	return false
}

func TestUnknownKeysWarnWithFileAndLine(t *testing.T) {
	p := write(t, "falco.yaml", "json_output: true\nfoo_bar: 1\nhttp_output:\n  enabled: false\n  urll: x\n")
	cfg, ws, err := Load(LoadOptions{File: p})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.JSONOutput {
		t.Error("json_output not read")
	}
	got := map[string]string{}
	for _, w := range ws {
		got[w.Key] = w.String()
	}
	if s := got["foo_bar"]; !strings.Contains(s, p+":2") {
		t.Errorf("foo_bar warning = %q, want %s:2", s, p)
	}
	if s := got["http_output.urll"]; !strings.Contains(s, p+":5") {
		t.Errorf("http_output.urll warning = %q", s)
	}
}

func TestOverrides(t *testing.T) {
	p := write(t, "falco.yaml", "rules_files: [/a.yaml]\nhttp_output:\n  enabled: false\n")
	cfg, ws, err := Load(LoadOptions{File: p, Overrides: []string{
		"json_output=true",
		"http_output.enabled=true",
		"http_output.url=http://127.0.0.1:8080/x?a=b",
		"webserver.listen_port=0",
		"rules_files=[/b.yaml, /c.yaml]",
		`append_output[]={"match": {"source": "syscall"}, "extra_fields": ["proc.env", {"env": "x"}]}`,
		"base_syscalls.custom_set[]=clone",
		"outputs_queue.capacity=7",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 0 {
		t.Errorf("warnings: %v", ws)
	}
	if !cfg.JSONOutput || !cfg.HTTPOutput.Enabled || cfg.HTTPOutput.URL != "http://127.0.0.1:8080/x?a=b" {
		t.Errorf("http/json not overridden: %+v", cfg.HTTPOutput)
	}
	if cfg.Webserver.ListenPort != 0 || !cfg.Webserver.Enabled {
		t.Errorf("webserver %+v", cfg.Webserver)
	}
	if strings.Join(cfg.RulesFiles, ",") != "/b.yaml,/c.yaml" {
		t.Errorf("rules_files %v", cfg.RulesFiles)
	}
	// The file had no append_output, so the default suggested_output entry
	// stays and the override appends.
	last := cfg.AppendOutput[len(cfg.AppendOutput)-1]
	if last.Match.Source != "syscall" || len(last.ExtraFields) != 2 || last.ExtraFields[0].Name != "proc.env" || last.ExtraFields[1] != (ExtraField{"env", "x"}) {
		t.Errorf("append_output %+v", cfg.AppendOutput)
	}
	if len(cfg.BaseSyscalls.CustomSet) != 1 || cfg.OutputsQueue.Capacity != 7 {
		t.Errorf("base_syscalls %+v queue %+v", cfg.BaseSyscalls, cfg.OutputsQueue)
	}

	cfg, _, err = Load(LoadOptions{File: p, RulesFiles: []string{"/r1", "/r2"}})
	if err != nil || strings.Join(cfg.RulesFiles, ",") != "/r1,/r2" {
		t.Errorf("-r: %v %v", cfg.RulesFiles, err)
	}
}

func TestErrors(t *testing.T) {
	for name, c := range map[string]struct {
		body, override, want string
	}{
		"bad yaml":      {"a: [", "", "falco.yaml"},
		"bad priority":  {"priority: loud\n", "", "priority"},
		"bad matching":  {"", "rule_matching=some", "rule_matching"},
		"no url":        {"http_output: {enabled: true}\n", "", "http_output.url"},
		"bad override":  {"", "novalue", "key=value"},
		"bad index":     {"", "rules_files[5]=x", "past the end"},
		"wrong type":    {"webserver: {listen_port: abc}\n", "", "falco.yaml"},
		"not a mapping": {"- a\n", "", "mapping"},
	} {
		t.Run(name, func(t *testing.T) {
			p := write(t, "falco.yaml", c.body)
			var ov []string
			if c.override != "" {
				ov = []string{c.override}
			}
			_, _, err := Load(LoadOptions{File: p, Overrides: ov})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want mention of %q", err, c.want)
			}
		})
	}
	if _, _, err := Load(LoadOptions{File: "/nonexistent/falco.yaml"}); err == nil {
		t.Error("an explicit missing -c file must fail")
	}
}

func TestConfigFilesMerge(t *testing.T) {
	dir := t.TempDir()
	d := filepath.Join(dir, "config.d")
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(d, "10-json.yaml"), []byte("json_output: true\nrules_files: [/extra.yaml]\nbogus: 1\n"), 0o644)
	main := filepath.Join(dir, "falco.yaml")
	os.WriteFile(main, []byte("config_files: [config.d]\nrules_files: [/main.yaml]\n"), 0o644)
	cfg, ws, err := Load(LoadOptions{File: main})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.JSONOutput || strings.Join(cfg.RulesFiles, ",") != "/main.yaml,/extra.yaml" {
		t.Errorf("merged: json=%v rules=%v", cfg.JSONOutput, cfg.RulesFiles)
	}
	if len(ws) != 1 || !strings.Contains(ws[0].String(), "10-json.yaml:3") {
		t.Errorf("warning should name the included file: %v", ws)
	}
}

func TestPlanRules(t *testing.T) {
	cfg := Default()
	cfg.RulesFiles = []string{"/nonexistent/a.yaml"}
	if p := cfg.PlanRules(); p.Embedded || len(p.Missing) != 1 {
		t.Errorf("custom list must not fall back to embedded rules: %+v", p)
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "r.yaml")
	os.WriteFile(f, []byte("- list: a\n  items: []\n"), 0o644)
	cfg.RulesFiles = []string{f, filepath.Join(dir, "none")}
	if p := cfg.PlanRules(); len(p.Paths) != 1 || p.Paths[0] != f {
		t.Errorf("plan %+v", p)
	}
	if _, err := os.Stat("/etc/falco"); err != nil {
		if p := Default().PlanRules(); !p.Embedded {
			t.Errorf("default list with nothing installed must use the embedded rules: %+v", p)
		}
	}
}

func TestBufferSize(t *testing.T) {
	cfg := Default()
	if cfg.BufferSize() != 8<<20 {
		t.Errorf("preset 4 = %d", cfg.BufferSize())
	}
	cfg.Engine.ModernEBPF.BufSizePreset = 7
	if cfg.BufferSize() != 64<<20 {
		t.Errorf("preset 7 = %d", cfg.BufferSize())
	}
}

// Arbitrary -o overrides and files never panic: they load or fail with
// ErrInvalid.
func FuzzLoad(f *testing.F) {
	f.Add("json_output: true\nhttp_output: {enabled: false}\n", "append_output[].extra_fields[]=proc.env")
	f.Add("rules_files: [a]\n", "rules_files[0]=b")
	f.Add("- x\n", "a.b[3].c=[1,2]")
	f.Fuzz(func(t *testing.T, body, override string) {
		p := filepath.Join(t.TempDir(), "falco.yaml")
		os.WriteFile(p, []byte(body), 0o644)
		_, _, err := Load(LoadOptions{File: p, Overrides: []string{override}})
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("error not wrapping ErrInvalid: %v", err)
		}
	})
}

func TestRulesToggles(t *testing.T) {
	p := write(t, "falco.yaml", "rules:\n  - disable: {rule: '*'}\n  - enable: {tag: network}\n")
	cfg, ws, err := Load(LoadOptions{File: p})
	if err != nil || len(ws) != 0 {
		t.Fatalf("%v %v", err, ws)
	}
	if len(cfg.Rules) != 2 || cfg.Rules[0].Disable.Rule != "*" || cfg.Rules[1].Enable.Tag != "network" {
		t.Errorf("rules %+v", cfg.Rules)
	}
	p = write(t, "falco.yaml", "rules:\n  - disable: {rule: x, tag: y}\n")
	if _, _, err := Load(LoadOptions{File: p}); err == nil || !strings.Contains(err.Error(), "rules[0]") {
		t.Errorf("bad toggle: %v", err)
	}
}
