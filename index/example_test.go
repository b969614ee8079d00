package index_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sakersec/saker/index"
	"github.com/sakersec/saker/internal/config"
)

// An artifact command resolves a bare name through the effective indexes.
func ExampleStore_Lookup() {
	dir, _ := os.MkdirTemp("", "index-example")
	defer os.RemoveAll(dir)
	idx := filepath.Join(dir, "index.yaml")
	_ = os.WriteFile(idx, []byte(`- name: my-rules
  type: rulesfile
  registry: registry.example.com
  repository: team/my-rules
`), 0o644)

	s, err := index.OpenStore(index.StoreOptions{
		StateDir: filepath.Join(dir, "state"),
		Indexes:  []config.IndexConfig{{Name: "team", URL: "file://" + idx}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	e, err := s.Lookup(context.Background(), "my-rules")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Index, e.Type, e.Ref())
	// Output: team rulesfile registry.example.com/team/my-rules
}

// Search ranks exact names before prefixes, keywords and text matches.
func ExampleSearch() {
	entries := []index.Entry{
		{Name: "k8saudit-rules", Type: "rulesfile"},
		{Name: "json", Type: "plugin", Keywords: []string{"k8saudit"}},
		{Name: "k8saudit", Type: "plugin"},
	}
	for _, r := range index.Search(entries, []string{"k8saudit"}, index.SearchOptions{}) {
		fmt.Println(r.Entry.Name, r.Match)
	}
	// Output:
	// k8saudit name
	// k8saudit-rules prefix
	// json keyword
}
