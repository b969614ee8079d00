package index

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sakersec/saker/internal/atomicfile"
	"github.com/sakersec/saker/internal/config"
)

// Origin says where an effective index comes from.
type Origin string

const (
	// OriginConfig is an index listed in the configuration file (or in
	// FALCOCTL_INDEXES).
	OriginConfig Origin = "config"
	// OriginEnv is an index from FALCOCTL_INDEXES or SAKERCTL_INDEXES.
	OriginEnv Origin = "env"
	// OriginAdded is an index added with `sakerctl index add`.
	OriginAdded Origin = "added"
	// OriginDefault is falcoctl's default index (StoreOptions.Default),
	// in effect while no index is configured or added.
	OriginDefault Origin = "default"
)

// StoreOptions configures [OpenStore].
type StoreOptions struct {
	// StateDir holds the state store (indexes.yaml) and the cache
	// (indexes/). It is created when first written.
	StateDir string
	// Indexes are the indexes from the configuration, in order.
	Indexes []config.IndexConfig
	// IndexesOrigin labels Indexes: OriginConfig (the default) or
	// OriginEnv when an environment variable set them.
	IndexesOrigin Origin
	// IndexesSource names where Indexes come from in messages: the
	// configuration file's path or the variable's name. Optional.
	IndexesSource string
	// Default is the index in effect when Indexes is empty, no index was
	// added and the default was not removed with `index remove` (as
	// falcoctl uses the falcosecurity index when its configuration lists
	// none). Nil means no default.
	Default *config.IndexConfig
	// HTTP configures fetching over http and https.
	HTTP HTTPOptions
	// Logger receives warnings about unreachable indexes. Nil discards them.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// OptionsFromConfig returns the StoreOptions sakerctl uses for cfg: the
// state directory, the configured indexes, the TLS settings of
// registry.tls (which apply to index downloads too) and falcoctl's default
// index ([config.DefaultIndex]). The default is left out when the
// configuration sets indexes to an explicit empty list (`indexes: []`, what
// falcoctl writes once its last index is removed), as viper's default
// would be in falcoctl.
func OptionsFromConfig(cfg *config.Config, logger *slog.Logger) StoreOptions {
	var def *config.IndexConfig
	if cfg.Indexes == nil {
		d := config.DefaultIndex()
		def = &d
	}
	return StoreOptions{
		Default:  def,
		StateDir: cfg.StateDir(),
		Indexes:  cfg.Indexes,
		HTTP: HTTPOptions{
			CAFile:             cfg.Registry.TLS.CAFile,
			InsecureSkipVerify: cfg.Registry.TLS.InsecureSkipVerify,
		},
		Logger: logger,
	}
}

// Info describes one effective index, as `index list` shows it.
type Info struct {
	Name    string `json:"name"`
	URL     string `json:"url"`
	Backend string `json:"backend"`
	Origin  Origin `json:"origin"`
	// OverridesConfig is set on an added index that replaces a
	// configuration-file index of the same name.
	OverridesConfig bool       `json:"overridesConfig,omitempty"`
	AddedAt         *time.Time `json:"addedAt,omitempty"`
	// UpdatedAt is when the index was last fetched; nil if never.
	UpdatedAt *time.Time `json:"updatedAt,omitempty"`
	ETag      string     `json:"etag,omitempty"`
	// Entries is the number of artifacts in the cached copy.
	Entries int `json:"entries"`

	overridden Origin // origin of the index an added one replaces
}

// Fetched reports whether a cached copy exists.
func (i Info) Fetched() bool { return i.UpdatedAt != nil }

// OriginLabel is the origin as a human reads it.
func (i Info) OriginLabel() string {
	if i.OverridesConfig {
		return "added (overrides " + string(i.overridden) + ")"
	}
	return string(i.Origin)
}

// source is one effective index.
type source struct {
	config.IndexConfig
	origin    Origin
	overrides bool
}

// Store is the effective set of indexes: those of the configuration plus
// those added with `index add` (an added index replaces a configured one of
// the same name), with their cached copies. It is safe for concurrent use
// by multiple goroutines; concurrent processes serialise updates of the
// state store with a file lock.
type Store struct {
	opts    StoreOptions
	log     *slog.Logger
	fetcher *fetcher

	mu      sync.Mutex
	state   stateFile
	sources []source
	loaded  map[string][]Entry // parsed copies, by index name
	failed  map[string]error   // indexes that could not be loaded this run
}

// OpenStore reads the state store and computes the effective indexes. It
// does not touch the network and creates nothing on disk. A configured
// index without name or URL, two configured indexes with the same name, or
// a corrupt state store are errors.
func OpenStore(opts StoreOptions) (*Store, error) {
	if opts.StateDir == "" {
		return nil, errors.New("index store: no state directory (set artifact.install.stateDir)")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.IndexesOrigin == "" {
		opts.IndexesOrigin = OriginConfig
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Store{
		opts:    opts,
		log:     log,
		fetcher: &fetcher{opts: opts.HTTP},
		loaded:  map[string][]Entry{},
		failed:  map[string]error{},
	}
	st, err := readState(s.statePath())
	if err != nil {
		return nil, err
	}
	if err := s.setState(st); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) statePath() string { return filepath.Join(s.opts.StateDir, StateFileName) }

// cachePath is where src's copy is cached. Added and configured indexes
// live in separate directories because an added index may shadow a
// configured one of the same name, and each keeps its own copy.
func (s *Store) cachePath(src source) string {
	sub := "config"
	switch src.origin {
	case OriginAdded:
		sub = "added"
	case OriginDefault:
		sub = "default"
	}
	return filepath.Join(s.opts.StateDir, CacheDirName, sub, cacheFileName(src.Name))
}

// setState recomputes the effective sources from the configuration and st.
func (s *Store) setState(st stateFile) error {
	var srcs []source
	pos := map[string]int{}
	for i, ic := range s.opts.Indexes {
		name, u := strings.TrimSpace(ic.Name), strings.TrimSpace(ic.URL)
		where := fmt.Sprintf("configuration indexes[%d]", i)
		if name == "" {
			return fmt.Errorf("%s: missing name", where)
		}
		if u == "" {
			return fmt.Errorf("%s (%s): missing url", where, name)
		}
		if _, dup := pos[name]; dup {
			return fmt.Errorf("%s: duplicate index name %q", where, name)
		}
		backend, err := CheckSource(u, ic.Backend)
		if err != nil {
			return fmt.Errorf("%s (%s): %w", where, name, err)
		}
		pos[name] = len(srcs)
		srcs = append(srcs, source{IndexConfig: config.IndexConfig{Name: name, URL: u, Backend: backend}, origin: s.opts.IndexesOrigin})
	}
	for _, r := range st.Indexes {
		if !r.Added {
			continue
		}
		src := source{IndexConfig: config.IndexConfig{Name: r.Name, URL: r.URL, Backend: r.Backend}, origin: OriginAdded}
		if i, ok := pos[r.Name]; ok {
			src.overrides = true
			srcs[i] = src
			continue
		}
		pos[r.Name] = len(srcs)
		srcs = append(srcs, src)
	}
	if len(srcs) == 0 && s.opts.Default != nil && !st.DefaultRemoved {
		d := *s.opts.Default
		backend, err := CheckSource(d.URL, d.Backend)
		if err != nil {
			return fmt.Errorf("default index %s: %w", d.Name, err)
		}
		d.Backend = backend
		srcs = append(srcs, source{IndexConfig: d, origin: OriginDefault})
	}
	s.state, s.sources = st, srcs
	return nil
}

// record returns the fetch metadata of src if it was fetched from src's
// current URL.
func (s *Store) record(src source) *record {
	i := s.state.find(src.Name, src.origin == OriginAdded)
	if i < 0 || s.state.Indexes[i].URL != src.URL || s.state.Indexes[i].UpdatedAt.IsZero() {
		return nil
	}
	return &s.state.Indexes[i]
}

func (s *Store) info(src source) Info {
	in := Info{Name: src.Name, URL: src.URL, Backend: src.Backend, Origin: src.origin, OverridesConfig: src.overrides}
	if src.overrides {
		in.overridden = s.opts.IndexesOrigin
	}
	if src.origin == OriginAdded {
		if i := s.state.find(src.Name, true); i >= 0 && !s.state.Indexes[i].AddedAt.IsZero() {
			t := s.state.Indexes[i].AddedAt
			in.AddedAt = &t
		}
	}
	if r := s.record(src); r != nil {
		t := r.UpdatedAt
		in.UpdatedAt, in.ETag, in.Entries = &t, r.ETag, r.Entries
	}
	return in
}

// List returns the effective indexes in lookup order.
func (s *Store) List() []Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Info, 0, len(s.sources))
	for _, src := range s.sources {
		out = append(out, s.info(src))
	}
	return out
}

// Lookup finds an entry by artifact name across the effective indexes, in
// order, using cached copies. An index never fetched is fetched on demand
// and cached; one that cannot be fetched or read logs a warning and is
// skipped. The error wraps [ErrNotFound] if no index has the name.
func (s *Store) Lookup(ctx context.Context, name string) (*Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var searched []string
	for _, src := range s.sources {
		entries, err := s.load(ctx, src)
		if err != nil {
			continue
		}
		searched = append(searched, src.Name)
		for i := range entries {
			if entries[i].Name == name {
				e := entries[i]
				return &e, nil
			}
		}
	}
	return nil, s.notFound(name, searched)
}

func (s *Store) notFound(name string, searched []string) error {
	if len(s.sources) == 0 {
		return fmt.Errorf("%q: %w: %s (add one with `sakerctl index add NAME URL` or under indexes in the configuration, or use a full OCI reference)", name, ErrNotFound, s.noIndexReason())
	}
	if len(searched) == 0 && s.onlyDefault() {
		return fmt.Errorf("%q: %w: %s", name, ErrNotFound, s.defaultUnreadable())
	}
	if len(searched) == 0 {
		return fmt.Errorf("%q: %w: no index could be read (see the warnings above; a full OCI reference works without indexes)", name, ErrNotFound)
	}
	return fmt.Errorf("%q: %w (searched %s; try `sakerctl artifact search`)", name, ErrNotFound, strings.Join(searched, ", "))
}

// Entries returns the artifacts of all effective indexes, merged: when two
// indexes hold the same name only the first one's entry is kept, as
// [Store.Lookup] would find it. Unreadable indexes are skipped with a
// warning; when the only index is the default one and it cannot be read,
// the error wraps [ErrFetch] and says how to use another index.
func (s *Store) Entries(ctx context.Context) ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Entry
	seen := map[string]bool{}
	for _, src := range s.sources {
		entries, err := s.load(ctx, src)
		if err != nil {
			if src.origin == OriginDefault && s.onlyDefault() {
				return nil, fmt.Errorf("%w: %s", ErrFetch, s.defaultUnreadable())
			}
			continue
		}
		for _, e := range entries {
			if !seen[e.Name] {
				seen[e.Name] = true
				out = append(out, e)
			}
		}
	}
	return out, ctx.Err()
}

// load returns the entries of src: from memory, else the cache, else by
// fetching (and caching) it. Failures are logged once per Store.
func (s *Store) load(ctx context.Context, src source) ([]Entry, error) {
	if e, ok := s.loaded[src.Name]; ok {
		return e, nil
	}
	if err, ok := s.failed[src.Name]; ok {
		return nil, err
	}
	if r := s.record(src); r != nil {
		entries, err := s.readCache(src)
		if err == nil {
			s.loaded[src.Name] = entries
			return entries, nil
		}
		s.log.Warn("index cache unreadable, fetching the index again", "index", src.Name, "error", err)
	}
	entries, _, err := s.fetchAndStore(ctx, src, "")
	if err != nil {
		s.log.Warn("index unavailable, skipping it", "index", src.Name, "url", src.URL, "error", err)
		s.failed[src.Name] = err
		return nil, err
	}
	return entries, nil
}

func (s *Store) readCache(src source) ([]Entry, error) {
	p := s.cachePath(src)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	entries, err := Parse(data, p)
	if err != nil {
		return nil, err
	}
	return withIndex(entries, src.Name), nil
}

func withIndex(entries []Entry, name string) []Entry {
	for i := range entries {
		entries[i].Index = name
	}
	return entries
}

// fetchAndStore fetches src (conditionally on etag), validates it, writes
// the cache and the state record. notModified is true on a 304. Failing to
// write the cache (read-only state directory) only logs a warning: the
// fetched copy is still used for this run.
func (s *Store) fetchAndStore(ctx context.Context, src source, etag string) (entries []Entry, notModified bool, err error) {
	res, err := s.fetcher.fetch(ctx, src.URL, src.Backend, etag)
	if err != nil {
		return nil, false, err
	}
	now := s.opts.Now().UTC().Truncate(time.Second)
	if res.notModified {
		entries, err := s.readCache(src)
		if err != nil {
			// The cache vanished behind our back: fetch unconditionally.
			return s.fetchAndStore(ctx, src, "")
		}
		s.loaded[src.Name] = entries
		s.saveRecord(src, func(r *record) { r.UpdatedAt = now })
		return entries, true, nil
	}
	entries, err = Parse(res.data, src.URL)
	if err != nil {
		return nil, false, err
	}
	entries = withIndex(entries, src.Name)
	s.loaded[src.Name] = entries
	delete(s.failed, src.Name)
	if err := atomicfile.WriteFile(s.cachePath(src), res.data, 0o644); err != nil {
		s.log.Warn("cannot cache index", "index", src.Name, "error", err)
		return entries, false, nil
	}
	s.saveRecord(src, func(r *record) {
		r.UpdatedAt, r.ETag, r.Entries = now, res.etag, len(entries)
	})
	return entries, false, nil
}

// saveRecord updates src's record in the state store under the file lock.
func (s *Store) saveRecord(src source, update func(*record)) {
	err := s.mutate(func(st *stateFile) error {
		added := src.origin == OriginAdded
		i := st.find(src.Name, added)
		if i < 0 {
			if added {
				return nil // removed by another process meanwhile
			}
			st.Indexes = append(st.Indexes, record{Name: src.Name, URL: src.URL, Backend: src.Backend})
			i = len(st.Indexes) - 1
		}
		r := &st.Indexes[i]
		if r.URL != src.URL {
			if added {
				return nil // re-added with another URL meanwhile
			}
			*r = record{Name: src.Name, URL: src.URL, Backend: src.Backend}
		}
		update(r)
		return nil
	})
	if err != nil {
		s.log.Warn("cannot record index state", "index", src.Name, "error", err)
	}
}

// mutate re-reads the state store under the lock, applies fn, writes it
// back atomically and recomputes the effective indexes.
func (s *Store) mutate(fn func(*stateFile) error) error {
	unlock, err := lockState(s.opts.StateDir)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := readState(s.statePath())
	if err != nil {
		return err
	}
	if err := fn(&st); err != nil {
		return err
	}
	if err := writeState(s.statePath(), st); err != nil {
		return fmt.Errorf("writing index state: %w", err)
	}
	return s.setState(st)
}

// onlyDefault reports whether the default index is the one index in
// effect.
func (s *Store) onlyDefault() bool {
	return len(s.sources) == 1 && s.sources[0].origin == OriginDefault
}

// defaultUnreadable explains that the default index could not be read and
// what to do instead.
func (s *Store) defaultUnreadable() string {
	d := s.sources[0]
	return fmt.Sprintf("the default index %s (%s) cannot be fetched (see the warning above); "+
		"add a reachable index with `sakerctl index add NAME URL` or list one under indexes in the configuration "+
		"(either replaces the default), or use a full OCI reference", d.Name, d.URL)
}

// noIndexReason says why no index is in effect.
func (s *Store) noIndexReason() string {
	if s.opts.Default != nil && s.state.DefaultRemoved {
		return fmt.Sprintf("no index is in effect (the default index %s was removed with `sakerctl index remove`)", s.opts.Default.Name)
	}
	return "no index is configured"
}

// DefaultRemoved reports whether the default index was turned off with
// `sakerctl index remove`.
func (s *Store) DefaultRemoved() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.Default != nil && s.state.DefaultRemoved
}
