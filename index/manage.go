package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sakersec/saker/internal/atomicfile"
	"github.com/sakersec/saker/internal/config"
)

// AddResult says what [Store.Add] did.
type AddResult struct {
	Info Info
	// PreviousURL is set when an added index of that name existed with
	// another URL and was updated.
	PreviousURL string
	// Refreshed is set when the index already existed with the same URL.
	Refreshed bool
	// ReplacedDefault is set when the default index was in effect until
	// this index was added: it no longer is.
	ReplacedDefault bool
}

// Add fetches and validates the index at rawURL and records it as name.
// backend may be empty (inferred from the URL scheme). Nothing is saved if
// the URL cannot be fetched or the index is invalid. Adding an existing name
// with another URL updates it; adding the name of a configuration index
// overrides it.
func (s *Store) Add(ctx context.Context, name, rawURL, backend string) (AddResult, error) {
	if !nameRe.MatchString(name) {
		return AddResult{}, fmt.Errorf("index name %q: use letters, digits, '.', '_' and '-'", name)
	}
	backend, err := CheckSource(rawURL, backend)
	if err != nil {
		return AddResult{}, err
	}
	if rawURL, err = NormalizeURL(rawURL, backend); err != nil {
		return AddResult{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	src := source{IndexConfig: config.IndexConfig{Name: name, URL: rawURL, Backend: backend}, origin: OriginAdded}
	res, err := s.fetcher.fetch(ctx, rawURL, backend, "")
	if err != nil {
		return AddResult{}, fmt.Errorf("index %s not added: %w", name, err)
	}
	entries, err := Parse(res.data, rawURL)
	if err != nil {
		return AddResult{}, fmt.Errorf("index %s not added: %w", name, err)
	}
	now := s.opts.Now().UTC().Truncate(time.Second)
	if err := atomicfile.WriteFile(s.cachePath(src), res.data, 0o644); err != nil {
		return AddResult{}, fmt.Errorf("index %s not added: caching it: %w", name, err)
	}
	var out AddResult
	// Adding the default's own name keeps it, as an added index.
	out.ReplacedDefault = s.onlyDefault() && s.sources[0].Name != name
	err = s.mutate(func(st *stateFile) error {
		rec := record{Name: name, URL: rawURL, Backend: backend, Added: true, AddedAt: now,
			UpdatedAt: now, ETag: res.etag, Entries: len(entries)}
		if i := st.find(name, true); i >= 0 {
			old := st.Indexes[i]
			if old.URL == rawURL {
				out.Refreshed = true
				rec.AddedAt = old.AddedAt
			} else {
				out.PreviousURL = old.URL
			}
			st.Indexes[i] = rec
			return nil
		}
		st.Indexes = append(st.Indexes, rec)
		return nil
	})
	if err != nil {
		return AddResult{}, fmt.Errorf("index %s not added: %w", name, err)
	}
	s.loaded[name] = withIndex(entries, name)
	delete(s.failed, name)
	for _, sc := range s.sources {
		if sc.Name == name {
			src = sc
		}
	}
	out.Info = s.info(src)
	return out, nil
}

// UpdateResult is the outcome of updating one index.
type UpdateResult struct {
	Name string `json:"name"`
	// NotModified is set when the server answered 304 to our ETag.
	NotModified bool  `json:"notModified,omitempty"`
	Entries     int   `json:"entries"`
	Err         error `json:"-"`
}

// Update fetches the named indexes again (all effective ones when names is
// empty), sending the cached ETag so that an unchanged index is not
// downloaded again. An index that fails keeps its cached copy; the returned
// error joins every failure. Unknown names fail before anything is fetched.
func (s *Store) Update(ctx context.Context, names ...string) ([]UpdateResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	targets := s.sources
	if len(names) > 0 {
		targets = nil
		for _, n := range names {
			src, ok := s.sourceByName(n)
			if !ok {
				return nil, s.unknown(n)
			}
			targets = append(targets, src)
		}
	}
	var results []UpdateResult
	var errs []error
	for _, src := range targets {
		etag := ""
		if r := s.record(src); r != nil {
			if _, err := os.Stat(s.cachePath(src)); err == nil {
				etag = r.ETag
			}
		}
		entries, notModified, err := s.fetchAndStore(ctx, src, etag)
		r := UpdateResult{Name: src.Name, NotModified: notModified, Entries: len(entries), Err: err}
		if err != nil {
			if r := s.record(src); r != nil {
				s.log.Warn("index update failed, keeping the cached copy", "index", src.Name,
					"cached", r.UpdatedAt.Format(time.RFC3339), "error", err)
			}
			errs = append(errs, fmt.Errorf("index %s: %w", src.Name, err))
		}
		results = append(results, r)
	}
	return results, errors.Join(errs...)
}

// RemoveResult is the outcome of removing one index.
type RemoveResult struct {
	Name string
	// RestoredConfig is set when the removed index had overridden a
	// configuration index of the same name, which is effective again.
	RestoredConfig bool
	// Default is set when the removed index was the default one: it stays
	// out of effect until an index of that name is added.
	Default bool
	// DefaultRestored is set when removing the last added index brought
	// the default index back into effect.
	DefaultRestored bool
}

// Remove removes added indexes and their cached copies. Removing the
// default index records that it stays out of effect. Every name is checked
// first: an unknown name wraps [ErrUnknownIndex] and an index from the
// configuration file wraps [ErrConfigIndex]; then nothing is removed.
func (s *Store) Remove(names ...string) ([]RemoveResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var results []RemoveResult
	for _, n := range names {
		src, ok := s.sourceByName(n)
		switch {
		case !ok:
			return nil, s.unknown(n)
		case src.origin == OriginDefault:
			results = append(results, RemoveResult{Name: n, Default: true})
			continue
		case src.origin == OriginEnv:
			return nil, fmt.Errorf("index %q: %w: it is set by the environment%s; change or unset the variable to remove it", n, ErrConfigIndex, s.sourceSuffix(" variable "))
		case src.origin != OriginAdded:
			return nil, fmt.Errorf("index %q: %w%s: sakerctl does not rewrite it; remove the entry from its indexes list", n, ErrConfigIndex, s.sourceSuffix(" "))
		}
		results = append(results, RemoveResult{Name: n, RestoredConfig: src.overrides})
	}
	err := s.mutate(func(st *stateFile) error {
		for _, r := range results {
			kept := st.Indexes[:0]
			for _, rec := range st.Indexes {
				// The default index's fetch record goes with it.
				if rec.Name != r.Name || rec.Added != !r.Default {
					kept = append(kept, rec)
				}
			}
			st.Indexes = kept
			if r.Default {
				st.DefaultRemoved = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	defaultBack := s.onlyDefault()
	for i, r := range results {
		delete(s.loaded, r.Name)
		delete(s.failed, r.Name)
		origin := OriginAdded
		if r.Default {
			origin = OriginDefault
		}
		if err := os.Remove(s.cachePath(source{IndexConfig: config.IndexConfig{Name: r.Name}, origin: origin})); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("cannot remove cached index", "index", r.Name, "error", err)
		}
		results[i].DefaultRestored = defaultBack && i == len(results)-1
	}
	return results, nil
}

func (s *Store) sourceSuffix(sep string) string {
	if s.opts.IndexesSource == "" {
		return ""
	}
	return sep + s.opts.IndexesSource
}

func (s *Store) sourceByName(name string) (source, bool) {
	for _, src := range s.sources {
		if src.Name == name {
			return src, true
		}
	}
	return source{}, false
}

func (s *Store) unknown(name string) error {
	var names []string
	for _, src := range s.sources {
		names = append(names, src.Name)
	}
	known := "none is configured"
	if len(names) > 0 {
		known = "known: " + strings.Join(names, ", ")
	}
	return fmt.Errorf("index %q: %w (%s)", name, ErrUnknownIndex, known)
}
