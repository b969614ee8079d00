package follow_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"oras.land/oras-go/v2/registry/remote"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/artifacts/follow"
	"github.com/sakersec/saker/internal/faultproxy"
	"github.com/sakersec/saker/internal/testregistry"
	"github.com/sakersec/saker/registry"
)

const (
	rulesV1 = `- list: shells
  items: [bash, sh]
- macro: spawned
  condition: evt.type = execve
- rule: Shell spawned
  desc: a shell
  condition: spawned and proc.name in (shells)
  output: shell %proc.name
  priority: NOTICE
- rule: Old rule
  desc: removed in v2
  condition: evt.type = openat and fd.name = /old
  output: old
  priority: INFO
`
	rulesV2 = `# comments and layout do not count as changes
- list: shells
  items: [bash, sh, zsh]
- macro: spawned
  condition: evt.type = execve
- rule: Shell spawned
  desc: a shell
  condition: spawned and proc.name in (shells)
  output: shell %proc.name
  priority: NOTICE
- rule: Marker opened
  desc: added in v2
  condition: evt.type = openat and fd.name = /marker
  output: marker
  priority: WARNING
`
)

// env is a registry, a client and an install root.
type env struct {
	t      *testing.T
	reg    *testregistry.Registry
	proxy  *faultproxy.Proxy
	client *registry.Client
	dir    string
	state  *artifacts.State
	src    *flakySource
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir()}
	e.reg = testregistry.New(t, testregistry.Options{Wrap: func(h http.Handler) http.Handler {
		e.proxy = faultproxy.Wrap(h)
		return e.proxy
	}})
	c, err := registry.New(registry.Options{PlainHTTP: true, Retry: registry.RetryOptions{MaxRetry: 2}})
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	e.state = artifacts.OpenState(filepath.Join(e.dir, "state"))
	e.src = &flakySource{Source: c}
	return e
}

func (e *env) rulesDir() string { return filepath.Join(e.dir, "rules") }

// push pushes body as version v of rules/test, tagged v and "latest".
func (e *env) push(v, body string) string {
	e.t.Helper()
	f := filepath.Join(e.t.TempDir(), "test_rules.yaml")
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		e.t.Fatal(err)
	}
	repo, err := e.client.Repository(e.reg.Ref("rules/test", v))
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := artifacts.Push(context.Background(), repo, artifacts.PushOptions{
		Type: artifacts.Rulesfile, Files: []string{f}, Config: artifacts.Config{Version: v}, Tags: []string{"latest"},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Digest
}

func (e *env) installer() *artifacts.Installer {
	return &artifacts.Installer{
		Resolver: &artifacts.Resolver{Registry: e.src},
		State:    e.state,
		Engine:   artifacts.DefaultEngine(),
	}
}

func (e *env) follower(o follow.Options) *follow.Follower {
	e.t.Helper()
	if o.Refs == nil {
		o.Refs = []string{e.reg.Ref("rules/test", "latest")}
	}
	o.Installer = e.installer()
	o.Install = artifacts.InstallOptions{Dirs: map[artifacts.Type]string{artifacts.Rulesfile: e.rulesDir()}}
	f, err := follow.New(o)
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

func (e *env) installed() string {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.rulesDir(), "test_rules.yaml"))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// flakySource fails the next n repository opens with a network error.
type flakySource struct {
	artifacts.Source
	fail atomic.Int32
}

var errNetwork = errors.New("dial tcp 127.0.0.1:1: connect: connection refused")

func (s *flakySource) Repository(ref string) (*remote.Repository, error) {
	if s.fail.Add(-1) >= 0 {
		return nil, errNetwork
	}
	s.fail.Store(0)
	return s.Source.Repository(ref)
}

// A new version is installed once, with a summary of the rules that
// changed; an unchanged digest downloads nothing.
func TestCheckInstallsNewVersionsOnce(t *testing.T) {
	e := newEnv(t)
	d1 := e.push("1.0.0", rulesV1)
	var updates []follow.Update
	f := e.follower(follow.Options{OnUpdate: func(u follow.Update) { updates = append(updates, u) }})
	ctx := context.Background()
	ref := e.reg.Ref("rules/test", "latest")

	u, err := f.Check(ctx, ref)
	if err != nil || u == nil {
		t.Fatalf("first check: %v, %v", u, err)
	}
	if u.NewDigest != d1 || u.NewVersion != "1.0.0" || u.OldDigest != "" || e.installed() != rulesV1 {
		t.Fatalf("first install: %+v", u)
	}
	if len(u.Changes) != 1 || strings.Join(u.Changes[0].Rules.Added, ",") != "Old rule,Shell spawned" {
		t.Errorf("changes of a first install: %+v", u.Changes)
	}

	layers := func() int { return e.proxy.Count(faultproxy.Match{Method: http.MethodGet, Path: blobPath}) }
	before := layers()
	if u, err := f.Check(ctx, ref); err != nil || u != nil {
		t.Fatalf("check of an unchanged digest: %+v, %v", u, err)
	}
	// A new follower (a restart) is seeded from the install state.
	if u, err := e.follower(follow.Options{}).Check(ctx, ref); err != nil || u != nil {
		t.Fatalf("check after a restart: %+v, %v", u, err)
	}
	if n := layers() - before; n != 2 {
		// Each check reads only the config blob, never the layer.
		t.Errorf("%d blob downloads for two up-to-date checks, want the 2 config blobs", n)
	}

	d2 := e.push("2.0.0", rulesV2)
	u, err = f.Check(ctx, ref)
	if err != nil || u == nil {
		t.Fatalf("check after v2: %v, %v", u, err)
	}
	if u.OldDigest != d1 || u.NewDigest != d2 || u.OldVersion != "1.0.0" || u.NewVersion != "2.0.0" || e.installed() != rulesV2 {
		t.Fatalf("update to v2: %+v", u)
	}
	c := u.Changes[0]
	if c.File != "test_rules.yaml" || !slices.Equal(c.Rules.Added, []string{"Marker opened"}) || !slices.Equal(c.Rules.Removed, []string{"Old rule"}) ||
		len(c.Rules.Modified) != 0 || !slices.Equal(c.Lists.Modified, []string{"shells"}) || !c.Macros.Empty() {
		t.Errorf("changes v1 → v2: %+v", c)
	}
	if got := c.Summary(); got != "rules +1 (Marker opened) -1 (Old rule); lists ~1 (shells)" {
		t.Errorf("summary: %q", got)
	}
	if len(updates) != 2 {
		t.Errorf("OnUpdate called %d times, want 2", len(updates))
	}
}

var blobPath = regexp.MustCompile(`/blobs/sha256:[a-f0-9]+$`)

// A version whose requirements the engine does not meet is not
// installed, and the same digest is not tried again.
func TestCheckRefusesUnmetRequirements(t *testing.T) {
	e := newEnv(t)
	e.push("1.0.0", rulesV1)
	f := e.follower(follow.Options{})
	ctx := context.Background()
	ref := e.reg.Ref("rules/test", "latest")
	if _, err := f.Check(ctx, ref); err != nil {
		t.Fatal(err)
	}
	e.push("2.0.0", "- required_engine_version: 999.0.0\n"+rulesV2)
	_, err := f.Check(ctx, ref)
	if !errors.Is(err, artifacts.ErrRequirement) || follow.Transient(err) {
		t.Fatalf("check of a version needing a newer engine: %v", err)
	}
	if e.installed() != rulesV1 {
		t.Fatal("version 1 was replaced by a version whose requirements are not met")
	}
	if u, err := f.Check(ctx, ref); err != nil || u != nil {
		t.Errorf("second check of the rejected digest: %+v, %v", u, err)
	}
}

// fakeClock advances only when the test says so; After registers a
// waiter and reports the wait on waits.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	waits   chan time.Duration
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC), waits: make(chan time.Duration, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	c.mu.Unlock()
	c.waits <- d
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// nextWait returns the duration the follower waits for next.
func (c *fakeClock) nextWait(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.waits:
		return d
	case <-time.After(30 * time.Second):
		t.Fatal("the follower never waited")
		return 0
	}
}

type checkLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *checkLog) add(_ string, err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *checkLog) get() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.errs)
}

// Transient failures back off exponentially (capped, never past the next
// scheduled check) and never end Run; a success returns to the schedule.
func TestRunBacksOffAndKeepsGoing(t *testing.T) {
	e := newEnv(t)
	e.push("1.0.0", rulesV1)
	clk := newClock()
	var log checkLog
	f := e.follower(follow.Options{
		Schedule: follow.Every(time.Hour), Clock: clk, OnCheck: log.add,
		Backoff: follow.Backoff{Initial: 10 * time.Second, Max: 40 * time.Second},
	})
	e.src.fail.Store(4)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	// immediate startup: the first check fails at once, then retries
	// after 10s, 20s, 40s, 40s; the fifth attempt succeeds.
	for i, want := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 40 * time.Second, time.Hour} {
		if got := clk.nextWait(t); got != want {
			t.Fatalf("wait %d: %v, want %v (checks: %v)", i, got, want, log.get())
		}
		if i < 4 {
			clk.Advance(want)
		}
	}
	errs := log.get()
	if len(errs) != 5 || errs[4] != nil {
		t.Fatalf("checks: %v", errs)
	}
	for _, err := range errs[:4] {
		if !errors.Is(err, errNetwork) {
			t.Errorf("check error %v, want the network error", err)
		}
	}
	if e.installed() != rulesV1 {
		t.Error("not installed after the failures stopped")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run returned %v after cancellation", err)
	}
}

// skip waits one interval before the first check; jitter a random part of
// one; a cron schedule waits for its next match.
func TestRunStartupBehavior(t *testing.T) {
	e := newEnv(t)
	e.push("1.0.0", rulesV1)
	cron, err := follow.ParseCron("30 */2 * * *")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		startup  follow.StartupBehavior
		schedule follow.Schedule
		want     time.Duration
	}{
		{"skip", follow.StartSkip, follow.Every(time.Hour), time.Hour},
		{"jitter", follow.StartJitter, follow.Every(time.Hour), 17 * time.Minute},
		{"cron skip", follow.StartSkip, cron, 30 * time.Minute}, // 10:00 → 10:30
	} {
		t.Run(c.name, func(t *testing.T) {
			clk := newClock()
			var log checkLog
			f := e.follower(follow.Options{Schedule: c.schedule, StartupBehavior: c.startup, Clock: clk, OnCheck: log.add,
				Jitter: func(m time.Duration) time.Duration {
					if m != time.Hour {
						t.Errorf("jitter within %v, want one interval", m)
					}
					return 17 * time.Minute
				}})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- f.Run(ctx) }()
			if got := clk.nextWait(t); got != c.want {
				t.Errorf("first wait %v, want %v", got, c.want)
			}
			if n := len(log.get()); n != 0 {
				t.Errorf("%d checks before the first scheduled time", n)
			}
			clk.Advance(c.want)
			clk.nextWait(t)
			if n := len(log.get()); n != 1 {
				t.Errorf("%d checks after the first scheduled time, want 1", n)
			}
			cancel()
			<-done
		})
	}
}

// A 429 with Retry-After is waited out before the request is repeated, and
// the check then succeeds.
func TestCheckHonoursRetryAfter(t *testing.T) {
	e := newEnv(t)
	e.push("1.0.0", rulesV1)
	e.proxy.SetRules(faultproxy.Rule{Match: faultproxy.ManifestGets, Times: 1,
		Fault: faultproxy.Fault{Kind: faultproxy.Status, Status: http.StatusTooManyRequests, RetryAfter: "1"}})
	if _, err := e.follower(follow.Options{}).Check(context.Background(), e.reg.Ref("rules/test", "latest")); err != nil {
		t.Fatal(err)
	}
	reqs := e.proxy.Requests()
	for i, r := range reqs {
		if r.Fault == 0 {
			continue
		}
		if i+1 >= len(reqs) || reqs[i+1].Path != r.Path {
			t.Fatal("the rate-limited request was not repeated next")
		}
		if wait := reqs[i+1].At.Sub(r.At); wait < time.Second {
			t.Fatalf("repeated after %v, before Retry-After: 1 elapsed", wait)
		}
		return
	}
	t.Fatal("no request was rate-limited")
}

func TestNewRejectsBadOptions(t *testing.T) {
	if _, err := follow.New(follow.Options{Installer: &artifacts.Installer{}}); !errors.Is(err, follow.ErrNoRefs) {
		t.Errorf("no refs: %v", err)
	}
	if _, err := follow.New(follow.Options{Refs: []string{"bad ref!"}, Installer: &artifacts.Installer{}}); !errors.Is(err, artifacts.ErrInvalid) {
		t.Errorf("bad ref: %v", err)
	}
	if _, err := follow.New(follow.Options{Refs: []string{"x"}, Installer: &artifacts.Installer{}, StartupBehavior: "later"}); !errors.Is(err, follow.ErrSchedule) {
		t.Errorf("bad startup behavior: %v", err)
	}
}

// With falcoversions, requirements are checked against the running
// sensor's /versions, read before every check.
func TestCheckAgainstSensorVersions(t *testing.T) {
	e := newEnv(t)
	engine := "0.10.0"
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, `{"engine_version_semver": %q, "plugin_api_version": "3.10.0"}`, engine)
	}))
	defer srv.Close()
	e.push("1.0.0", "- required_engine_version: 0.40.0\n"+rulesV1)
	f := e.follower(follow.Options{Engine: follow.VersionsEngine(nil, srv.URL)})
	ref := e.reg.Ref("rules/test", "latest")
	if _, err := f.Check(context.Background(), ref); !errors.Is(err, artifacts.ErrRequirement) || !strings.Contains(err.Error(), "provides 0.10.0") {
		t.Fatalf("check against an old sensor: %v", err)
	}
	if u, err := f.Check(context.Background(), ref); err != nil || u != nil {
		t.Fatalf("second check of the rejected digest: %+v, %v", u, err)
	}
	// The sensor was upgraded: the same digest now installs.
	mu.Lock()
	engine = "0.41.0"
	mu.Unlock()
	if u, err := f.Check(context.Background(), ref); err != nil || u == nil {
		t.Fatalf("check against an upgraded sensor: %+v, %v", u, err)
	}
	srv.Close()
	if _, err := f.Check(context.Background(), ref); err == nil || !follow.Transient(err) {
		t.Errorf("unreachable sensor: %v, want a transient error", err)
	}
}

// Validate sees a new version's files under the paths an install gives
// them; a refusal keeps the installed version and is not retried.
func TestValidateRefusesVersions(t *testing.T) {
	e := newEnv(t)
	e.push("1.0.0", rulesV1)
	var seen []string
	f := e.follower(follow.Options{Validate: func(_ context.Context, a *artifacts.Artifact, files map[string][]byte) error {
		for p, d := range files {
			seen = append(seen, p)
			if strings.Contains(string(d), "broken") {
				return errors.New(p + ":1:3: broken")
			}
		}
		return nil
	}})
	ref := e.reg.Ref("rules/test", "latest")
	if _, err := f.Check(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(e.rulesDir(), "test_rules.yaml"); !slices.Equal(seen, []string{want}) {
		t.Errorf("validated %v, want %s", seen, want)
	}
	e.push("2.0.0", "# broken\n"+rulesV2)
	_, err := f.Check(context.Background(), ref)
	if !errors.Is(err, follow.ErrRejected) || follow.Transient(err) || !strings.Contains(err.Error(), "test_rules.yaml:1:3: broken") {
		t.Fatalf("check of a refused version: %v", err)
	}
	if e.installed() != rulesV1 {
		t.Fatal("a refused version was installed")
	}
	if u, err := f.Check(context.Background(), ref); u != nil || err != nil {
		t.Errorf("refused digest checked again: %+v, %v", u, err)
	}
	if entries, _ := os.ReadDir(e.rulesDir()); len(entries) != 1 {
		t.Errorf("the rules directory holds %d entries after a refused version, want only the installed file", len(entries))
	}
}
