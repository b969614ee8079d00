package defaults_test

import (
	"testing"

	"github.com/sakersec/saker/sensor/defaults"
	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/rules"
	"github.com/sakersec/saker/sensor/sources/syscall"
)

// The embedded rules load without errors or warnings and every rule
// compiles against the syscall source with extraction.
func TestEmbeddedRulesCompile(t *testing.T) {
	rs, res, err := rules.Load(rules.LoadOptions{
		Contents: []rules.Content{{Name: defaults.Name, Data: defaults.Rules}},
		Sources:  fields.NewRegistry(syscall.Source()),
	})
	if err != nil {
		for _, d := range res.Errors() {
			t.Error(d)
		}
		t.Fatal(err)
	}
	for _, w := range res.Warnings() {
		t.Errorf("warning: %v", w)
	}
	if res.EnabledRules < 15 || res.EnabledRules != res.Rules {
		t.Errorf("%d of %d rules enabled", res.EnabledRules, res.Rules)
	}
	types, all := rs.EventTypes(fields.SyscallSourceName, nil)
	if all || len(types) == 0 {
		t.Errorf("event types %v (all=%v): every rule should name its event types", types, all)
	}
}
