package index

import (
	"os"
	"reflect"
	"testing"

	"github.com/sakersec/saker/internal/testutil"
)

func upstreamEntries(t *testing.T) []Entry {
	t.Helper()
	data, err := os.ReadFile(testutil.Upstream(t, "falcosecurity-index.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := Parse(data, "falcosecurity-index.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func names(rs []Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Entry.Name)
	}
	return out
}

func TestSearchUpstreamRanking(t *testing.T) {
	entries := upstreamEntries(t)
	tests := []struct {
		keywords []string
		opts     SearchOptions
		want     []string
	}{
		// Exact name first, then name prefixes alphabetically.
		{[]string{"k8saudit"}, SearchOptions{}, []string{"k8saudit", "k8saudit-aks", "k8saudit-eks", "k8saudit-gke",
			"k8saudit-gke-rules", "k8saudit-ovh", "k8saudit-rules"}},
		{[]string{"k8saudit"}, SearchOptions{Type: "rulesfile"}, []string{"k8saudit-gke-rules", "k8saudit-rules"}},
		{[]string{"cloudtrail"}, SearchOptions{}, []string{"cloudtrail", "cloudtrail-rules"}},
		// Only substrings match "rules": alphabetical.
		{[]string{"rules"}, SearchOptions{}, []string{"application-rules", "cloudtrail-rules", "falco-incubating-rules",
			"falco-rules", "falco-sandbox-rules", "gcpaudit-rules", "github-rules", "k8saudit-gke-rules",
			"k8saudit-rules", "okta-rules"}},
		{[]string{"RULES"}, SearchOptions{Type: "plugin"}, nil},
		// A keyword match ranks above a substring match.
		{[]string{"json"}, SearchOptions{}, []string{"json", "collector", "cloudtrail", "cloudtrail-rules"}},
		// Entries matching more keywords come first among equals.
		{[]string{"aws", "eks"}, SearchOptions{}, []string{"k8saudit-eks", "cloudtrail", "cloudtrail-rules"}},
		{[]string{"no-such-thing"}, SearchOptions{}, nil},
	}
	for _, tt := range tests {
		got := names(Search(entries, tt.keywords, tt.opts))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("search %v %+v:\n got %v\nwant %v", tt.keywords, tt.opts, got, tt.want)
		}
	}
}

func TestSearchStableAcrossInputOrder(t *testing.T) {
	entries := upstreamEntries(t)
	want := names(Search(entries, []string{"audit"}, SearchOptions{}))
	reversed := make([]Entry, len(entries))
	for i := range entries {
		reversed[len(entries)-1-i] = entries[i]
	}
	if got := names(Search(reversed, []string{"audit"}, SearchOptions{})); !reflect.DeepEqual(got, want) {
		t.Fatalf("order depends on input order:\n%v\n%v", got, want)
	}
	if len(want) < 5 {
		t.Fatalf("audit matched only %v", want)
	}
}

func TestSearchMatchKinds(t *testing.T) {
	entries := []Entry{
		{Name: "zeta", Description: "has the word alpha inside"},
		{Name: "beta", Keywords: []string{"alpha"}},
		{Name: "alphabet"},
		{Name: "alpha", Index: "b"},
		{Name: "alpha", Index: "a"},
	}
	got := Search(entries, []string{"Alpha"}, SearchOptions{})
	var kinds []string
	for _, r := range got {
		kinds = append(kinds, r.Entry.Name+"/"+r.Entry.Index+":"+r.Match.String())
	}
	want := []string{"alpha/a:name", "alpha/b:name", "alphabet/:prefix", "beta/:keyword", "zeta/:text"}
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("got %v want %v", kinds, want)
	}
}

func BenchmarkSearchUpstream(b *testing.B) {
	data, err := os.ReadFile(testutil.Upstream(b, "falcosecurity-index.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	entries, err := Parse(data, "idx")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Search(entries, []string{"k8saudit", "rules"}, SearchOptions{})
	}
}

func BenchmarkParseUpstream(b *testing.B) {
	data, err := os.ReadFile(testutil.Upstream(b, "falcosecurity-index.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data, "idx"); err != nil {
			b.Fatal(err)
		}
	}
}
