package index

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/testutil"
)

const validIndex = `- name: my-rules
  type: rulesfile
  registry: registry.example.com:5000
  repository: team/rules/my-rules
  description: Our own rules
  keywords: [custom, team]
- name: my-plugin
  type: plugin
  registry: registry.example.com:5000
  repository: team/plugins/my-plugin
  signature:
    cosign:
      certificate-oidc-issuer: https://token.actions.githubusercontent.com
      ignore-tlog: false
  future-field: ignored
`

func TestParseValid(t *testing.T) {
	entries, err := Parse([]byte(validIndex), "index.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Name != "my-rules" || entries[1].Type != "plugin" {
		t.Fatalf("entries %+v", entries)
	}
	if entries[1].Signature == nil || entries[1].Signature.Cosign.CertificateOidcIssuer != "https://token.actions.githubusercontent.com" {
		t.Fatalf("signature not decoded: %+v", entries[1].Signature)
	}
	if got := entries[0].Ref(); got != "registry.example.com:5000/team/rules/my-rules" {
		t.Fatalf("Ref() = %q", got)
	}
	for _, empty := range []string{"", "\n", "# nothing\n", "null\n", "[]\n"} {
		if es, err := Parse([]byte(empty), "e.yaml"); err != nil || len(es) != 0 {
			t.Errorf("%q: %v, %v", empty, es, err)
		}
	}
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name, yaml, says string
	}{
		{"missing registry", "- name: a\n  type: plugin\n  repository: r\n", "idx.yaml:1: entry \"a\": missing registry"},
		{"missing name", "- name: a\n  type: plugin\n  registry: r\n  repository: r\n- type: plugin\n  registry: r\n  repository: r\n", "idx.yaml:5: entry: missing name"},
		{"duplicate", "- name: a\n  type: plugin\n  registry: r\n  repository: r\n- name: a\n  type: plugin\n  registry: r\n  repository: s\n", "idx.yaml:5: duplicate artifact name \"a\" (first defined at line 1)"},
		{"not a list", "name: a\ntype: plugin\n", "idx.yaml:1: an index is a YAML list"},
		{"html", "<html><body>404</body></html>\n", "idx.yaml:1: an index is a YAML list of artifact entries, found the scalar"},
		{"entry not a mapping", "- just-a-string\n", "idx.yaml:1: entry 1 is the scalar"},
		{"bad field type", "- name: a\n  type: plugin\n  registry: r\n  repository: r\n  keywords: {x: y}\n", "idx.yaml:1: entry 1:"},
		{"bad name", "- name: a:b\n  type: plugin\n  registry: r\n  repository: r\n", "idx.yaml:1: entry \"a:b\": name may contain only"},
		{"registry with scheme", "- name: a\n  type: plugin\n  registry: https://ghcr.io\n  repository: r\n", "idx.yaml:3: entry \"a\": registry"},
		{"repository with tag", "- name: a\n  type: plugin\n  registry: ghcr.io\n  repository: r:1.0\n", "idx.yaml:4: entry \"a\": repository"},
		{"syntax", "- name: a\n  type: [\n", "idx.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "idx.yaml")
			if !errors.Is(err, ErrInvalidIndex) {
				t.Fatalf("error %v does not wrap ErrInvalidIndex", err)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("error %q does not say %q", err, tt.says)
			}
		})
	}
}

func TestParseUpstreamIndex(t *testing.T) {
	data, err := os.ReadFile(testutil.Upstream(t, "falcosecurity-index.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := Parse(data, "falcosecurity-index.yaml")
	if err != nil {
		t.Fatalf("the public index must load: %v", err)
	}
	if len(entries) != 28 {
		t.Fatalf("%d entries, want 28", len(entries))
	}
	var rules *Entry
	for i := range entries {
		if entries[i].Name == "falco-rules" {
			rules = &entries[i]
		}
	}
	if rules == nil || rules.Type != "rulesfile" || rules.Ref() != "ghcr.io/falcosecurity/rules/falco-rules" {
		t.Fatalf("falco-rules entry: %+v", rules)
	}
	// Round trip: what we write, we read back identically.
	out, err := Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(out, "roundtrip")
	if err != nil || !reflect.DeepEqual(again, entries) {
		t.Fatalf("round trip differs: %v", err)
	}
}

func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(validIndex))
	f.Add([]byte("- name: a\n  type: plugin\n  registry: r\n  repository: r\n- name: a\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("[]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if !errors.Is(err, ErrInvalidIndex) || !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("error without ErrInvalidIndex or source: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, e := range entries {
			if e.Name == "" || e.Type == "" || e.Registry == "" || e.Repository == "" || seen[e.Name] {
				t.Fatalf("invalid entry accepted: %+v", e)
			}
			seen[e.Name] = true
		}
		out, err := Marshal(entries)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(out, "roundtrip")
		if err != nil || len(again) != len(entries) {
			t.Fatalf("round trip: %d → %d entries, %v", len(entries), len(again), err)
		}
	})
}
