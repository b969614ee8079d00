package follow

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrSchedule marks an invalid --every, --cron or --startup-behavior.
var ErrSchedule = errors.New("invalid schedule")

// Schedule says when the next check is due.
type Schedule interface {
	// Next returns the first check time strictly after t.
	Next(t time.Time) time.Time
}

// Every checks at a fixed interval.
type Every time.Duration

// Next implements [Schedule].
func (e Every) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }

// Cron is a parsed 5-field cron expression (minute hour day-of-month
// month day-of-week), evaluated in the time's location.
type Cron struct {
	expr                     string
	min, hour, dom, mon, dow uint64
	domStar, dowStar         bool
}

func (c *Cron) String() string { return c.expr }

type cronField struct {
	name     string
	min, max int
}

var cronFields = [5]cronField{{"minute", 0, 59}, {"hour", 0, 23}, {"day of month", 1, 31}, {"month", 1, 12}, {"day of week", 0, 7}}

var cronMacros = map[string]string{
	"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
	"@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
}

// ParseCron parses a standard 5-field cron expression: each field is *, a
// number, a range a-b, a list of these separated by commas, each with an
// optional /step; day of week 0 and 7 are Sunday. The @hourly, @daily,
// @weekly, @monthly and @yearly shorthands work too. As in cron, when both
// day of month and day of week are restricted, either may match.
func ParseCron(expr string) (*Cron, error) {
	s := strings.TrimSpace(expr)
	if m, ok := cronMacros[s]; ok {
		s = m
	}
	parts := strings.Fields(s)
	if len(parts) != 5 {
		return nil, fmt.Errorf("--cron %q: %w: want 5 fields (minute hour day-of-month month day-of-week), got %d", expr, ErrSchedule, len(parts))
	}
	c := &Cron{expr: expr, domStar: parts[2] == "*", dowStar: parts[4] == "*"}
	dst := [5]*uint64{&c.min, &c.hour, &c.dom, &c.mon, &c.dow}
	for i, p := range parts {
		bits, err := parseCronField(p, cronFields[i])
		if err != nil {
			return nil, fmt.Errorf("--cron %q: %w: %s field %q: %v", expr, ErrSchedule, cronFields[i].name, p, err)
		}
		*dst[i] = bits
	}
	if c.dow&(1<<7) != 0 {
		c.dow |= 1 // 7 is Sunday too
	}
	// Within five years every date recurs, February 29th included.
	ref := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if c.Next(ref).Sub(ref) > 4*366*24*time.Hour {
		return nil, fmt.Errorf("--cron %q: %w: the expression never matches a date", expr, ErrSchedule)
	}
	return c, nil
}

func parseCronField(s string, f cronField) (uint64, error) {
	var bits uint64
	for _, item := range strings.Split(s, ",") {
		step := 1
		if r, st, ok := strings.Cut(item, "/"); ok {
			n, err := strconv.Atoi(st)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("step %q is not a positive number", st)
			}
			item, step = r, n
		}
		lo, hi := f.min, f.max
		switch {
		case item == "*":
		case strings.Contains(item, "-"):
			a, b, _ := strings.Cut(item, "-")
			var err1, err2 error
			lo, err1 = strconv.Atoi(a)
			hi, err2 = strconv.Atoi(b)
			if err1 != nil || err2 != nil {
				return 0, fmt.Errorf("range %q is not NUMBER-NUMBER", item)
			}
		default:
			n, err := strconv.Atoi(item)
			if err != nil {
				return 0, fmt.Errorf("%q is not a number, range or *", item)
			}
			lo, hi = n, n
			if step > 1 {
				hi = f.max
			}
		}
		if lo < f.min || hi > f.max || lo > hi {
			return 0, fmt.Errorf("%d-%d is outside %d-%d", lo, hi, f.min, f.max)
		}
		for v := lo; v <= hi; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, nil
}

// Next implements [Schedule]: the first minute after t the expression
// matches. It gives up (returning t plus five years) for expressions
// that never match, such as February 30th, which ParseCron refuses.
func (c *Cron) Next(t time.Time) time.Time {
	t = t.Truncate(time.Minute).Add(time.Minute)
	end := t.AddDate(5, 0, 0)
	for t.Before(end) {
		if c.mon&(1<<uint(t.Month())) == 0 {
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, t.Location())
			continue
		}
		if !c.dayMatches(t) {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, t.Location())
			continue
		}
		if c.hour&(1<<uint(t.Hour())) == 0 {
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, t.Location())
			continue
		}
		if c.min&(1<<uint(t.Minute())) == 0 {
			t = t.Add(time.Minute)
			continue
		}
		return t
	}
	return end
}

func (c *Cron) dayMatches(t time.Time) bool {
	dom := c.dom&(1<<uint(t.Day())) != 0
	dow := c.dow&(1<<uint(t.Weekday())) != 0
	if c.domStar || c.dowStar {
		return dom && dow
	}
	return dom || dow
}

// StartupBehavior says when the first check happens.
type StartupBehavior string

const (
	// StartImmediate checks every reference at once.
	StartImmediate StartupBehavior = "immediate"
	// StartJitter checks first after a random delay within one interval,
	// so that a fleet started together does not hit the registry at the
	// same moment (the cause of GHCR's 429s).
	StartJitter StartupBehavior = "jitter"
	// StartSkip waits for the first scheduled time.
	StartSkip StartupBehavior = "skip"
)

// ParseStartupBehavior parses --startup-behavior; empty means immediate.
func ParseStartupBehavior(s string) (StartupBehavior, error) {
	switch b := StartupBehavior(strings.ToLower(strings.TrimSpace(s))); b {
	case "":
		return StartImmediate, nil
	case StartImmediate, StartJitter, StartSkip:
		return b, nil
	}
	return "", fmt.Errorf("--startup-behavior %q: %w: want skip, jitter or immediate", s, ErrSchedule)
}

// ParseSchedule builds the schedule from --every and --cron (at most one;
// neither means every 6h).
func ParseSchedule(every, cron string) (Schedule, error) {
	every, cron = strings.TrimSpace(every), strings.TrimSpace(cron)
	switch {
	case every != "" && cron != "":
		return nil, fmt.Errorf("%w: give --every or --cron, not both", ErrSchedule)
	case cron != "":
		return ParseCron(cron)
	case every == "":
		return Every(DefaultEvery), nil
	}
	d, err := time.ParseDuration(every)
	if err != nil || d <= 0 {
		return nil, fmt.Errorf("--every %q: %w: want a positive duration such as 30m or 6h", every, ErrSchedule)
	}
	if d < MinEvery {
		return nil, fmt.Errorf("--every %s: %w: at least %s, so that registries do not rate-limit the host", d, ErrSchedule, MinEvery)
	}
	return Every(d), nil
}
