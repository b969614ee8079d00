package index

import (
	"sort"
	"strings"
)

// MatchKind says how well an entry matched a search, best first.
type MatchKind int

// Match kinds, from the weakest to the strongest.
const (
	MatchNone MatchKind = iota
	// MatchSubstring: a keyword occurs in the name, a keyword or the description.
	MatchSubstring
	// MatchKeyword: a search keyword equals one of the entry's keywords.
	MatchKeyword
	// MatchPrefix: the name starts with a search keyword.
	MatchPrefix
	// MatchExact: the name equals a search keyword.
	MatchExact
)

func (m MatchKind) String() string {
	switch m {
	case MatchExact:
		return "name"
	case MatchPrefix:
		return "prefix"
	case MatchKeyword:
		return "keyword"
	case MatchSubstring:
		return "text"
	}
	return "none"
}

// MarshalText makes MatchKind readable in JSON output.
func (m MatchKind) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// SearchOptions narrows a search.
type SearchOptions struct {
	// Type keeps only entries of this artifact type (rulesfile, plugin,
	// asset, ...); empty keeps all.
	Type string
}

// Result is one search hit.
type Result struct {
	Entry Entry `json:"entry"`
	// Match is the best way any keyword matched.
	Match MatchKind `json:"match"`
	// Matched is how many of the keywords matched at all.
	Matched int `json:"matched"`
}

// Search returns the entries matching at least one keyword
// (case-insensitive), best first: an exact name beats a name prefix, which
// beats an equal keyword, which beats a substring of the name, keywords or
// description. Among equals, entries matching more keywords come first, then
// names in alphabetical order, then index names; the order is therefore
// stable for a given input.
func Search(entries []Entry, keywords []string, opts SearchOptions) []Result {
	kws := make([]string, 0, len(keywords))
	for _, k := range keywords {
		if k = strings.ToLower(strings.TrimSpace(k)); k != "" {
			kws = append(kws, k)
		}
	}
	var out []Result
	for _, e := range entries {
		if opts.Type != "" && !strings.EqualFold(e.Type, opts.Type) {
			continue
		}
		var best MatchKind
		matched := 0
		for _, k := range kws {
			m := matchOne(&e, k)
			if m > MatchNone {
				matched++
			}
			best = max(best, m)
		}
		if best > MatchNone {
			out = append(out, Result{Entry: e, Match: best, Matched: matched})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Match != b.Match {
			return a.Match > b.Match
		}
		if a.Matched != b.Matched {
			return a.Matched > b.Matched
		}
		if a.Entry.Name != b.Entry.Name {
			return a.Entry.Name < b.Entry.Name
		}
		return a.Entry.Index < b.Entry.Index
	})
	return out
}

// matchOne scores one lower-cased keyword against e.
func matchOne(e *Entry, k string) MatchKind {
	name := strings.ToLower(e.Name)
	switch {
	case name == k:
		return MatchExact
	case strings.HasPrefix(name, k):
		return MatchPrefix
	}
	for _, kw := range e.Keywords {
		if strings.EqualFold(kw, k) {
			return MatchKeyword
		}
	}
	if strings.Contains(name, k) || strings.Contains(strings.ToLower(e.Description), k) {
		return MatchSubstring
	}
	for _, kw := range e.Keywords {
		if strings.Contains(strings.ToLower(kw), k) {
			return MatchSubstring
		}
	}
	return MatchNone
}
