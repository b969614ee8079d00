package follow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/index"
	"github.com/sakersec/saker/registry"
)

// Defaults of [Options].
const (
	// DefaultEvery is falcoctl's default check interval.
	DefaultEvery = 6 * time.Hour
	// MinEvery is the shortest interval accepted from users.
	MinEvery = time.Second
	// DefaultBackoffInitial is the first retry delay after a transient
	// failure; it doubles up to DefaultBackoffMax.
	DefaultBackoffInitial = 10 * time.Second
	DefaultBackoffMax     = 15 * time.Minute
)

// ErrNoRefs is returned by [New] when there is nothing to follow.
var ErrNoRefs = errors.New("nothing to follow: give a reference or set artifact.follow.refs")

// ErrRejected marks a version that Options.Validate refused.
var ErrRejected = errors.New("version refused")

// Clock is the time source; tests inject a fake one.
type Clock interface {
	Now() time.Time
	// After delivers the time once d has elapsed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Backoff is the retry policy after a transient failure: Initial, doubled
// after every further failure, at most Max, and never later than the
// next scheduled check.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
}

func (b Backoff) delay(failures int) time.Duration {
	d := b.Initial
	for i := 1; i < failures && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Options configure a [Follower]. Refs and Installer are required; the
// zero values of the others are falcoctl's defaults.
type Options struct {
	// Refs are the references followed (index names with optional tag or
	// semver constraint, or full OCI references).
	Refs []string
	// Installer resolves, checks requirements against its Engine, and
	// installs; its State seeds the digests already installed.
	Installer *artifacts.Installer
	// Install are the options of every install (directories, allowed
	// types, platform).
	Install artifacts.InstallOptions
	// Schedule of the checks; nil means every 6h.
	Schedule Schedule
	// StartupBehavior says when the first check happens; "" means
	// immediate.
	StartupBehavior StartupBehavior
	Backoff         Backoff
	// Clock is the time source; nil means the system clock.
	Clock Clock
	// Jitter returns a random duration in [0, max) (StartJitter); nil
	// means math/rand.
	Jitter func(max time.Duration) time.Duration
	// Engine, when set, says what the sensor that loads the artifacts
	// provides, read before every check (falcoctl's falcoversions: a
	// running Falco's or Saker's /versions, see [VersionsEngine]);
	// requirements are checked against it instead of Installer.Engine.
	Engine func(ctx context.Context) (artifacts.Engine, error)
	// Validate, when set, sees a new rulesfile version before it is
	// installed: its files keyed by the path they will have. An error
	// refuses the version (a sensor following in-process checks that its
	// rules still compile, so a restart never meets a broken version).
	Validate func(ctx context.Context, a *artifacts.Artifact, files map[string][]byte) error
	// OnUpdate is called after a new version is installed (a sensor
	// reloads its rules there).
	OnUpdate func(Update)
	// OnCheck is called after every check of a reference, with its error
	// (nil when up to date or updated).
	OnCheck func(ref string, err error)
	Logger  *slog.Logger
}

// Update describes a new version that was installed.
type Update struct {
	Ref        string         `json:"ref"`
	Name       string         `json:"name"`
	Type       artifacts.Type `json:"type"`
	OldVersion string         `json:"oldVersion,omitempty"`
	NewVersion string         `json:"newVersion"`
	OldDigest  string         `json:"oldDigest,omitempty"`
	NewDigest  string         `json:"newDigest"`
	Files      []string       `json:"files"`
	// Changes are the rules, macros and lists that changed, per file
	// (rulesfiles only).
	Changes []FileChanges `json:"changes,omitempty"`
}

// Follower checks references on a schedule and installs new versions.
// Its methods are safe for concurrent use, but checks run one at a time.
type Follower struct {
	o   Options
	log *slog.Logger

	mu sync.Mutex // serialises checks
	// rejected maps a reference to the digest (and engine) that failed
	// with a permanent error, so it is not downloaded again.
	rejected map[string]string
}

// New validates o and returns a Follower.
func New(o Options) (*Follower, error) {
	if len(o.Refs) == 0 {
		return nil, fmt.Errorf("%w", ErrNoRefs)
	}
	if o.Installer == nil {
		return nil, errors.New("follow: no installer")
	}
	for _, r := range o.Refs {
		if _, err := artifacts.ParseRef(r); err != nil {
			return nil, err
		}
	}
	if o.Schedule == nil {
		o.Schedule = Every(DefaultEvery)
	}
	if o.StartupBehavior == "" {
		o.StartupBehavior = StartImmediate
	}
	if _, err := ParseStartupBehavior(string(o.StartupBehavior)); err != nil {
		return nil, err
	}
	if o.Backoff.Initial <= 0 {
		o.Backoff.Initial = DefaultBackoffInitial
	}
	if o.Backoff.Max < o.Backoff.Initial {
		o.Backoff.Max = max(DefaultBackoffMax, o.Backoff.Initial)
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Jitter == nil {
		o.Jitter = func(m time.Duration) time.Duration {
			if m <= 0 {
				return 0
			}
			return rand.N(m)
		}
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Follower{o: o, log: log, rejected: map[string]string{}}, nil
}

type refState struct {
	ref      string
	next     time.Time
	failures int
}

// Run checks the references until ctx ends, then returns nil. Failures
// are logged and retried; they never end Run.
func (f *Follower) Run(ctx context.Context) error {
	now := f.o.Clock.Now()
	states := make([]*refState, len(f.o.Refs))
	for i, r := range f.o.Refs {
		st := &refState{ref: r, next: now}
		switch f.o.StartupBehavior {
		case StartSkip:
			st.next = f.o.Schedule.Next(now)
		case StartJitter:
			st.next = now.Add(f.o.Jitter(f.o.Schedule.Next(now).Sub(now)))
		}
		states[i] = st
	}
	f.log.Info("following artifacts", "refs", strings.Join(f.o.Refs, ", "), "schedule", scheduleString(f.o.Schedule), "startup", string(f.o.StartupBehavior), "first_check", states[0].next.Format(time.RFC3339))
	for {
		next := states[0].next
		for _, st := range states[1:] {
			if st.next.Before(next) {
				next = st.next
			}
		}
		if wait := next.Sub(f.o.Clock.Now()); wait > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-f.o.Clock.After(wait):
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		now := f.o.Clock.Now()
		for _, st := range states {
			if st.next.After(now) {
				continue
			}
			_, err := f.Check(ctx, st.ref)
			if ctx.Err() != nil {
				return nil
			}
			scheduled := f.o.Schedule.Next(f.o.Clock.Now())
			switch {
			case err == nil:
				st.failures, st.next = 0, scheduled
			case Transient(err):
				st.failures++
				st.next = f.o.Clock.Now().Add(f.o.Backoff.delay(st.failures))
				if scheduled.Before(st.next) {
					st.next = scheduled
				}
				f.log.Warn("follow: check failed, retrying", "ref", st.ref, "err", err, "failures", st.failures, "retry_at", st.next.Format(time.RFC3339))
			default:
				st.failures, st.next = 0, scheduled
				f.log.Error("follow: check failed; retrying at the next scheduled check", "ref", st.ref, "err", err, "next", st.next.Format(time.RFC3339))
			}
		}
	}
}

func scheduleString(s Schedule) string {
	switch s := s.(type) {
	case Every:
		return "every " + time.Duration(s).String()
	case *Cron:
		return "cron " + s.String()
	}
	return fmt.Sprintf("%v", s)
}

// Transient reports whether err may go away by itself (network, 5xx,
// 429, an interrupted download), so the check is retried with backoff.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	for _, permanent := range []error{
		artifacts.ErrRequirement, artifacts.ErrNotAllowed, artifacts.ErrFormat, artifacts.ErrUnsafeArchive,
		artifacts.ErrInvalid, artifacts.ErrNotFound, registry.ErrNotFound, registry.ErrUnauthorized,
		registry.ErrInvalidReference, index.ErrNotFound, context.Canceled, ErrRejected,
	} {
		if errors.Is(err, permanent) {
			return false
		}
	}
	return true
}

// Check compares the digest ref resolves to with the installed one and,
// when it differs, installs the new version. It returns nil, nil when the
// artifact is up to date.
func (f *Follower) Check(ctx context.Context, ref string) (upd *Update, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	defer func() {
		if f.o.OnCheck != nil {
			f.o.OnCheck(ref, err)
		}
	}()
	in := f.o.Installer
	if f.o.Engine != nil {
		e, err := f.o.Engine(ctx)
		if err != nil {
			return nil, err
		}
		in.Engine = e
	}
	a, err := in.Resolver.Resolve(ctx, ref, artifacts.ResolveOptions{Platform: f.o.Install.Platform})
	if err != nil {
		return nil, err
	}
	rec, err := in.State.Get(a.Name)
	if err != nil {
		return nil, err
	}
	if rec != nil && rec.Digest == a.Digest {
		f.log.Debug("follow: up to date", "ref", ref, "version", rec.Version, "digest", a.Digest)
		return nil, nil
	}
	// A rejection holds for this digest on this engine: an upgraded
	// sensor may meet the requirements it failed.
	rejectKey := a.Digest + " " + in.Engine.EngineVersion + " " + in.Engine.PluginAPIVersion
	if f.rejected[ref] == rejectKey {
		f.log.Debug("follow: digest rejected before, not downloaded again", "ref", ref, "digest", a.Digest)
		return nil, nil
	}
	var old map[string][]byte
	upd = &Update{Ref: ref, Name: a.Name, Type: a.Type, NewDigest: a.Digest, NewVersion: a.Version()}
	if rec != nil {
		upd.OldVersion, upd.OldDigest = rec.Version, rec.Digest
		if rec.Type == artifacts.Rulesfile {
			old = readFiles(rec.Files)
		}
	}
	f.log.Info("follow: new version", "ref", ref, "artifact", a.Name, "from", upd.OldVersion, "to", upd.NewVersion, "digest", a.Digest)
	if f.o.Validate != nil && a.Type == artifacts.Rulesfile {
		files, err := f.pull(ctx, a)
		if err != nil {
			return nil, err
		}
		if err := f.o.Validate(ctx, a, files); err != nil {
			f.rejected[ref] = rejectKey
			return nil, fmt.Errorf("%s %s (%s): %w, the installed version stays: %v", a.Name, upd.NewVersion, a.Digest, ErrRejected, err)
		}
	}
	done, err := in.Install(ctx, []string{ref}, f.o.Install)
	if err != nil {
		if !Transient(err) {
			f.rejected[ref] = rejectKey
		}
		return nil, err
	}
	for _, d := range done {
		if d.Name != a.Name {
			continue
		}
		upd.Files, upd.NewDigest, upd.NewVersion = d.Files, d.Digest, d.Version
	}
	delete(f.rejected, ref)
	if a.Type == artifacts.Rulesfile {
		upd.Changes = DiffFiles(old, readFiles(upd.Files))
		for _, c := range upd.Changes {
			f.log.Info("follow: rules changed", "artifact", a.Name, "file", c.File, "summary", c.Summary())
		}
	}
	f.log.Info("follow: installed", "artifact", a.Name, "version", upd.NewVersion, "previous", upd.OldVersion, "files", strings.Join(upd.Files, ", "))
	if f.o.OnUpdate != nil {
		f.o.OnUpdate(*upd)
	}
	return upd, nil
}

// pull downloads a's files (pinned to its digest) into a temporary
// directory and returns them keyed by the path an install would give them.
func (f *Follower) pull(ctx context.Context, a *artifacts.Artifact) (map[string][]byte, error) {
	tmp, err := os.MkdirTemp("", "sakerctl-follow-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	rec, err := f.o.Installer.Pull(ctx, a.Repository+"@"+a.Digest, tmp, f.o.Install)
	if err != nil {
		return nil, err
	}
	dest := f.o.Install.Dirs[a.Type]
	if dest == "" {
		dest = artifacts.DefaultDirs()[a.Type]
	}
	if dest, err = filepath.Abs(dest); err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(rec.Files))
	for _, p := range rec.Files {
		rel, err := filepath.Rel(rec.Dir, p)
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out[filepath.Join(dest, rel)] = data
	}
	return out, nil
}

// readFiles reads the files that exist, keyed by path.
func readFiles(paths []string) map[string][]byte {
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			out[p] = data
		}
	}
	return out
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
