package artifacts

import (
	"fmt"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// parseVersion parses a full semver version (X.Y.Z with optional
// pre-release/build, optional leading v). Partial versions such as "1.2"
// are rejected: as tags they are floating tags, not releases.
func parseVersion(s string) (*semver.Version, error) {
	s = strings.TrimSpace(s)
	return semver.StrictNewVersion(strings.TrimPrefix(s, "v"))
}

// parseConstraint parses a semver constraint ("4", "4.1", "^4.1",
// "~4.1.2", ">=4 <5").
func parseConstraint(s string) (*semver.Constraints, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("%w: empty constraint", ErrInvalid)
	}
	return semver.NewConstraint(s)
}

// Compatible reports whether an installed version satisfies a required
// one the way Falco checks plugin versions: same major, not older.
func Compatible(installed, required string) bool {
	iv, err1 := parseVersion(installed)
	rv, err2 := parseVersion(required)
	if err1 != nil || err2 != nil {
		return false
	}
	return iv.Major() == rv.Major() && !iv.LessThan(rv)
}

// SemverTags returns the tags that are full semver versions, highest
// first; other tags (floating "1", "1.2", "latest") are left out.
func SemverTags(tags []string) []string {
	type tv struct {
		tag string
		v   *semver.Version
	}
	var vs []tv
	for _, t := range tags {
		if v, err := parseVersion(t); err == nil {
			vs = append(vs, tv{t, v})
		}
	}
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].v.GreaterThan(vs[j].v) })
	out := make([]string, len(vs))
	for i, x := range vs {
		out[i] = x.tag
	}
	return out
}

// SortTags orders tags for display: semver tags highest first, then the
// others alphabetically.
func SortTags(tags []string) []string {
	sv := SemverTags(tags)
	seen := make(map[string]bool, len(sv))
	for _, t := range sv {
		seen[t] = true
	}
	var rest []string
	for _, t := range tags {
		if !seen[t] {
			rest = append(rest, t)
		}
	}
	sort.Strings(rest)
	return append(sv, rest...)
}

// HighestMatching returns the highest full-semver tag satisfying the
// constraint c.
func HighestMatching(tags []string, c *semver.Constraints) (string, bool) {
	for _, t := range SemverTags(tags) {
		v, _ := parseVersion(t)
		if c.Check(v) {
			return t, true
		}
	}
	return "", false
}

// compatibleConstraint is the constraint "same major, at least required".
func compatibleConstraint(required string) (*semver.Constraints, error) {
	v, err := parseVersion(required)
	if err != nil {
		return nil, fmt.Errorf("version %q: %w: not semver", required, ErrInvalid)
	}
	return semver.NewConstraint(fmt.Sprintf(">=%s, <%d.0.0-0", v.String(), v.Major()+1))
}

// FloatingTags returns the tags --add-floating-tags adds for version v:
// "X.Y.Z", "X" and "X.Y" (no "latest"), as falcoctl does.
func FloatingTags(v string) ([]string, error) {
	sv, err := parseVersion(v)
	if err != nil {
		return nil, fmt.Errorf("--version %q: %w: not semver (want X.Y.Z)", v, ErrInvalid)
	}
	return []string{v, fmt.Sprintf("%d", sv.Major()), fmt.Sprintf("%d.%d", sv.Major(), sv.Minor())}, nil
}
