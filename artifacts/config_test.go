package artifacts

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestConfigFromRules(t *testing.T) {
	cases := []struct {
		yaml string
		want string
	}{
		{"- required_engine_version: 10\n", `{"requirements":[{"name":"engine_version_semver","version":"0.10.0"}]}`},
		{"- required_engine_version: 0.31.0\n", `{"requirements":[{"name":"engine_version_semver","version":"0.31.0"}]}`},
		{"- required_engine_version: '26'\n", `{"requirements":[{"name":"engine_version_semver","version":"0.26.0"}]}`},
		{`- required_plugin_versions:
  - name: k8saudit
    version: 0.7.0
    alternatives:
      - name: k8saudit-eks
        version: 0.4.0
      - name: k8saudit-aks
        version: 0.1.0
  - name: json
    version: 0.7.0
- rule: r
  condition: evt.type=open
`, `{"dependencies":[{"name":"json","version":"0.7.0"},{"name":"k8saudit","version":"0.7.0","alternatives":[{"name":"k8saudit-aks","version":"0.1.0"},{"name":"k8saudit-eks","version":"0.4.0"}]}]}`},
		{"[]\n", `{}`},
	}
	for _, c := range cases {
		var cfg Config
		if err := cfg.ConfigFromRules([]byte(c.yaml)); err != nil {
			t.Fatalf("%q: %v", c.yaml, err)
		}
		got, _ := json.Marshal(cfg)
		if string(got) != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.yaml, got, c.want)
		}
	}
	var cfg Config
	if err := cfg.ConfigFromRules([]byte("- required_engine_version: soon\n")); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad engine version: %v, want ErrInvalid", err)
	}
}

func TestExplicitFlagsWinOverRulesYAML(t *testing.T) {
	var cfg Config
	if err := cfg.ParseRequirements("engine_version_semver:0.40.0"); err != nil {
		t.Fatal(err)
	}
	if err := cfg.ParseDependencies("k8saudit:0.9.0|k8saudit-eks:0.5.0"); err != nil {
		t.Fatal(err)
	}
	if err := cfg.ConfigFromRules([]byte("- required_engine_version: 10\n- required_plugin_versions: [{name: k8saudit, version: 0.7.0}]\n")); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(cfg)
	want := `{"dependencies":[{"name":"k8saudit","version":"0.9.0","alternatives":[{"name":"k8saudit-eks","version":"0.5.0"}]}],"requirements":[{"name":"engine_version_semver","version":"0.40.0"}]}`
	if string(got) != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
}

func TestParseDependenciesRejectsBadInput(t *testing.T) {
	for _, d := range []string{"k8saudit", "k8saudit:", ":1.0.0", "k8saudit:1.x", "a:1.0.0|b"} {
		var cfg Config
		if err := cfg.ParseDependencies(d); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v, want ErrInvalid", d, err)
		}
	}
}

func TestFloatingTags(t *testing.T) {
	got, err := FloatingTags("1.2.3")
	if err != nil || len(got) != 3 || got[0] != "1.2.3" || got[1] != "1" || got[2] != "1.2" {
		t.Fatalf("FloatingTags(1.2.3) = %v, %v; want [1.2.3 1 1.2]", got, err)
	}
	if _, err := FloatingTags("1.2"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("FloatingTags(1.2): %v, want ErrInvalid", err)
	}
}

func TestHighestMatching(t *testing.T) {
	tags := []string{"latest", "1", "1.2", "1.2.0", "1.2.10", "1.3.0-rc1", "1.10.0", "2.0.0", "4.1.0", "4.1.5", "4.2.0"}
	cases := map[string]string{
		"4": "4.2.0", "4.1": "4.1.5", "^4.1": "4.2.0", "~4.1.2": "4.1.5", ">=4 <5": "4.2.0",
		"^1.2": "1.10.0", "~1.2": "1.2.10", "1.2.0": "1.2.0", "*": "4.2.0",
	}
	for c, want := range cases {
		con, err := parseConstraint(c)
		if err != nil {
			t.Fatalf("%q: %v", c, err)
		}
		got, ok := HighestMatching(tags, con)
		if !ok || got != want {
			t.Errorf("%q: got %q (%v), want %q", c, got, ok, want)
		}
	}
	con, _ := parseConstraint("^9")
	if got, ok := HighestMatching(tags, con); ok {
		t.Errorf("^9 matched %q", got)
	}
	if got := SortTags([]string{"latest", "1.2.0", "1", "1.10.0", "1.9.0"}); len(got) != 5 || got[0] != "1.10.0" || got[1] != "1.9.0" || got[2] != "1.2.0" {
		t.Errorf("SortTags: %v", got)
	}
}

func TestCompatible(t *testing.T) {
	cases := []struct {
		have, need string
		ok         bool
	}{
		{"0.58.0", "0.31.0", true}, {"0.58.0", "0.58.0", true}, {"0.58.0", "0.59.0", false},
		{"3.11.0", "3.0.0", true}, {"3.11.0", "2.0.0", false}, {"1.1.0", "1.0.0", true}, {"2.0.0", "1.0.0", false},
		{"x", "1.0.0", false},
	}
	for _, c := range cases {
		if got := Compatible(c.have, c.need); got != c.ok {
			t.Errorf("Compatible(%s, %s) = %v, want %v", c.have, c.need, got, c.ok)
		}
	}
}

func TestParseRef(t *testing.T) {
	cases := []struct {
		in   string
		want Ref
	}{
		{"falco-rules", Ref{Name: "falco-rules"}},
		{"falco-rules:^3", Ref{Name: "falco-rules", Tag: "^3"}},
		{"falco-rules:>=4 <5", Ref{Name: "falco-rules", Tag: ">=4 <5"}},
		{"falco-rules@sha256:" + hex64, Ref{Name: "falco-rules", Digest: "sha256:" + hex64}},
		{"ghcr.io/falcosecurity/rules/falco-rules:3.0.0", Ref{Repository: "ghcr.io/falcosecurity/rules/falco-rules", Tag: "3.0.0"}},
		{"127.0.0.1:5000/a/b", Ref{Repository: "127.0.0.1:5000/a/b"}},
		{"localhost/a@sha256:" + hex64, Ref{Repository: "localhost/a", Digest: "sha256:" + hex64}},
	}
	for _, c := range cases {
		got, err := ParseRef(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseRef(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "a/b", "bad name", "ghcr.io/UPPER/x:1", "x@nodigest"} {
		if _, err := ParseRef(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseRef(%q): %v, want ErrInvalid", bad, err)
		}
	}
}

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
