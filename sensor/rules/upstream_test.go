package rules

import (
	"os"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/testutil"
)

func TestStockFalcoRules(t *testing.T) {
	p := testutil.Upstream(t, "rules/falco_rules.yaml")
	rs, res, err := Load(LoadOptions{Files: []string{p}})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range res.Warnings() {
		t.Log("warning:", w)
	}
	if res.Rules != 25 || res.EnabledRules != 25 || res.Macros != 87 || res.Lists != 49 {
		t.Errorf("got %d rules (%d enabled), %d macros, %d lists; want 25 (25), 87, 49", res.Rules, res.EnabledRules, res.Macros, res.Lists)
	}
	types, all := rs.EventTypes("syscall", nil)
	// The event types the stock rules use, and no others: the set the
	// sensor filters on in the kernel.
	want := "connect dup dup2 dup3 execve execveat finit_module init_module link linkat open openat openat2 ptrace sendmsg sendto socket symlink symlinkat"
	if all || strings.Join(types, " ") != want {
		t.Errorf("event types %v (all=%v), want %s", types, all, want)
	}
}

func TestStockK8sAuditRules(t *testing.T) {
	p := testutil.Upstream(t, "rules/k8s_audit_rules.yaml")
	_, res, err := Load(LoadOptions{Files: []string{p}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rules != 48 || res.EnabledRules != 48 {
		t.Errorf("got %d rules (%d enabled); want 48 (48)", res.Rules, res.EnabledRules)
	}
}

// BenchmarkLoadStock measures loading and compiling falco_rules.yaml, what
// a reload pays before it swaps rulesets.
func BenchmarkLoadStock(b *testing.B) {
	p := testutil.Upstream(b, "rules/falco_rules.yaml")
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := Load(LoadOptions{Contents: []Content{{Name: "falco_rules.yaml", Data: data}}}); err != nil {
			b.Fatal(err)
		}
	}
}
