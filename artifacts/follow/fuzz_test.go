package follow

import (
	"testing"
	"time"
)

// Any cron text either fails to parse with ErrSchedule or yields a
// schedule whose next time is after the start.
func FuzzParseCron(f *testing.F) {
	for _, s := range []string{"* * * * *", "*/15 9-17 * * 1-5", "0 0 1,15 */2 7", "@daily", "5-1 * * * *", "0 0 30 2 *"} {
		f.Add(s)
	}
	start := time.Date(2026, 1, 5, 10, 7, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCron(s)
		if err != nil {
			return
		}
		if next := c.Next(start); !next.After(start) {
			t.Fatalf("%q: next %v is not after %v", s, next, start)
		}
	})
}

// Diffing never panics, and a file compared with itself has no changes.
func FuzzDiffRules(f *testing.F) {
	f.Add([]byte("- rule: A\n  condition: x\n- list: l\n  items: [a]\n"), []byte("- rule: B\n  condition: y\n"))
	f.Add([]byte("---\n- macro: m\n---\n"), []byte("rule: x"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		DiffRules(a, b)
		if c := DiffRules(a, a); c.Error == "" && (!c.Rules.Empty() || !c.Macros.Empty() || !c.Lists.Empty()) {
			t.Fatalf("a file differs from itself: %+v", c)
		}
	})
}
