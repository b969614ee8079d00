package ruletest

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Summary counts results.
type Summary struct {
	Tests  int `json:"tests"`
	Passed int `json:"passed"`
	Failed int `json:"failed"`
}

// Summarize counts passed and failed results.
func Summarize(results []Result) Summary {
	s := Summary{Tests: len(results)}
	for _, r := range results {
		if r.Pass {
			s.Passed++
		} else {
			s.Failed++
		}
	}
	return s
}

// WriteText writes the report people read: PASS or FAIL per test with its
// location and alert counts, the findings of failed tests, and a summary.
// verbose adds every alert's output.
func WriteText(w io.Writer, results []Result, verbose bool) error {
	var b strings.Builder
	for _, r := range results {
		status := "PASS"
		if !r.Pass {
			status = "FAIL"
		}
		loc := r.File
		if r.Line > 0 {
			loc = fmt.Sprintf("%s:%d", r.File, r.Line)
		}
		fmt.Fprintf(&b, "%s %s: %s (%d events, %s)\n", status, loc, r.Name, r.Events, alertCounts(r.Alerts))
		for _, f := range r.Failures {
			b.WriteString("     - ")
			b.WriteString(strings.ReplaceAll(f, "\n", "\n       "))
			b.WriteByte('\n')
		}
		if verbose || !r.Pass {
			limit := len(r.Outputs)
			if !verbose && limit > 5 {
				limit = 5
			}
			for _, o := range r.Outputs[:limit] {
				b.WriteString("       alert: ")
				b.WriteString(o)
				b.WriteByte('\n')
			}
			if limit < len(r.Outputs) {
				fmt.Fprintf(&b, "       ... %d more alert(s) (-v shows all)\n", len(r.Outputs)-limit)
			}
		}
	}
	s := Summarize(results)
	fmt.Fprintf(&b, "%d test(s): %d passed, %d failed\n", s.Tests, s.Passed, s.Failed)
	_, err := io.WriteString(w, b.String())
	return err
}

func alertCounts(m map[string]int) string {
	if len(m) == 0 {
		return "no alerts"
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s ×%d", n, m[n])
	}
	return "alerts: " + strings.Join(parts, ", ")
}
