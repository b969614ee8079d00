package follow

import (
	"errors"
	"testing"
	"time"
)

func TestCronNext(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04 Mon", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct{ expr, from, want string }{
		{"*/15 * * * *", "2026-01-05 10:07 Mon", "2026-01-05 10:15 Mon"},
		{"0 3 * * *", "2026-01-05 10:07 Mon", "2026-01-06 03:00 Tue"},
		{"0 0 * * 0", "2026-01-05 10:07 Mon", "2026-01-11 00:00 Sun"},
		{"0 0 * * 7", "2026-01-05 10:07 Mon", "2026-01-11 00:00 Sun"},
		{"30 9-17/4 * * 1-5", "2026-01-09 17:31 Fri", "2026-01-12 09:30 Mon"},
		{"0 0 1 */3 *", "2026-01-05 10:07 Mon", "2026-04-01 00:00 Wed"},
		{"0 12 13 * 5", "2026-01-05 10:07 Mon", "2026-01-09 12:00 Fri"}, // day of month or day of week
		{"@daily", "2026-01-05 00:00 Mon", "2026-01-06 00:00 Tue"},
		{"5,10 * * * *", "2026-01-05 10:05 Mon", "2026-01-05 10:10 Mon"},
	} {
		cr, err := ParseCron(c.expr)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if got := cr.Next(at(c.from)); !got.Equal(at(c.want)) {
			t.Errorf("%s after %s: %s, want %s", c.expr, c.from, got.Format("2006-01-02 15:04 Mon"), c.want)
		}
	}
}

func TestParseScheduleErrors(t *testing.T) {
	for _, c := range []struct{ every, cron string }{
		{"", "* * * *"}, {"", "61 * * * *"}, {"", "*/0 * * * *"}, {"", "a * * * *"}, {"", "5-1 * * * *"}, {"", "0 0 30 2 *"},
		{"1h", "* * * * *"}, {"soon", ""}, {"-1h", ""}, {"10ms", ""},
	} {
		if _, err := ParseSchedule(c.every, c.cron); !errors.Is(err, ErrSchedule) {
			t.Errorf("every %q cron %q: %v, want ErrSchedule", c.every, c.cron, err)
		}
	}
	s, err := ParseSchedule("", "")
	if err != nil || s != Every(6*time.Hour) {
		t.Errorf("default schedule %v, %v", s, err)
	}
}

func TestDiffRules(t *testing.T) {
	old := []byte("- rule: A\n  condition: x\n- rule: B\n  condition: y\n- macro: m\n  condition: z\n")
	new := []byte("# new\n- rule: A\n  condition: x   # same\n- rule: B\n  condition: y2\n- rule: C\n  condition: c\n- rule: B\n  enabled: false\n")
	c := DiffRules(old, new)
	if got := c.Summary(); got != "rules +1 (C) ~1 (B); macros -1 (m)" {
		t.Errorf("summary %q", got)
	}
	if c := DiffRules(old, []byte("rule: x\n")); c.Error == "" {
		t.Error("a mapping is not a rules file, yet no error")
	}
	if got := DiffRules(old, old).Summary(); got != "no rule, macro or list changed" {
		t.Errorf("identical: %q", got)
	}
}
