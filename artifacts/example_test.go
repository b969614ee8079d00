package artifacts_test

import (
	"fmt"

	"github.com/sakersec/saker/artifacts"
)

func ExampleParseRef() {
	for _, s := range []string{"falco-rules:^3", "ghcr.io/falcosecurity/plugins/plugin/k8saudit:0.7.0"} {
		r, _ := artifacts.ParseRef(s)
		fmt.Printf("name=%q repository=%q tag=%q\n", r.Name, r.Repository, r.Tag)
	}
	// Output:
	// name="falco-rules" repository="" tag="^3"
	// name="" repository="ghcr.io/falcosecurity/plugins/plugin/k8saudit" tag="0.7.0"
}

func ExampleConfig_ConfigFromRules() {
	var cfg artifacts.Config
	_ = cfg.ConfigFromRules([]byte(`
- required_engine_version: 26
- required_plugin_versions:
  - name: k8saudit
    version: 0.7.0
    alternatives:
      - name: k8saudit-eks
        version: 0.4.0
`))
	fmt.Println(cfg.Requirements, cfg.Dependencies)
	// Output: [{engine_version_semver 0.26.0}] [{k8saudit 0.7.0 [{k8saudit-eks 0.4.0}]}]
}

func ExampleFloatingTags() {
	tags, _ := artifacts.FloatingTags("1.2.3")
	fmt.Println(tags)
	// Output: [1.2.3 1 1.2]
}
