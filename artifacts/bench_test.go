package artifacts

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// BenchmarkInstallRulesfileAndPlugin installs a 150 KB rulesfile plus a
// 5 MiB plugin from a loopback registry: resolve both, download and verify
// the layers, extract, move into place and record the state.
func BenchmarkInstallRulesfileAndPlugin(b *testing.B) {
	ctx := context.Background()
	reg, c := testClient(b)
	src := b.TempDir()
	rules := filepath.Join(src, "bench_rules.yaml")
	rule := "- rule: Bench rule\n  desc: a rule\n  condition: evt.type = open and proc.name = cat and fd.name startswith /etc\n  output: opened %fd.name by %proc.name\n  priority: WARNING\n"
	if err := os.WriteFile(rules, []byte(strings.Repeat(rule, 150_000/len(rule))), 0o644); err != nil {
		b.Fatal(err)
	}
	so := filepath.Join(src, "libbench.so")
	blob := make([]byte, 5<<20)
	_, _ = rand.Read(blob)
	if err := os.WriteFile(so, blob, 0o755); err != nil {
		b.Fatal(err)
	}
	rrepo, _ := c.Repository(reg.Ref("rules/bench-rules", "1.0.0"))
	if _, err := Push(ctx, rrepo, PushOptions{Type: Rulesfile, Files: []string{rules}, Config: Config{Version: "1.0.0"}}); err != nil {
		b.Fatal(err)
	}
	prepo, _ := c.Repository(reg.Ref("plugins/bench-plugin", "1.0.0"))
	if _, err := Push(ctx, prepo, PushOptions{Type: Plugin, Files: []string{so}, Platforms: []string{runtime.GOOS + "/" + runtime.GOARCH}, Config: Config{Version: "1.0.0"}}); err != nil {
		b.Fatal(err)
	}
	refs := []string{reg.Ref("rules/bench-rules", "^1"), reg.Ref("plugins/bench-plugin", "1.0.0")}
	dest := b.TempDir()
	in := &Installer{Resolver: &Resolver{Registry: c}, State: OpenState(filepath.Join(dest, "state")), Engine: DefaultEngine()}
	opts := InstallOptions{Dirs: map[Type]string{Rulesfile: filepath.Join(dest, "rules"), Plugin: filepath.Join(dest, "plugins")}}
	b.SetBytes(int64(150_000 + len(blob)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := in.Install(ctx, refs, opts); err != nil {
			b.Fatal(err)
		}
	}
}
