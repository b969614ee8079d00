package artifacts

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/sakersec/saker/registry"
)

// StateFileName is the install state store, relative to the state
// directory.
const StateFileName = "installed.json"

// Record is one installed artifact in the state store.
type Record struct {
	Name     string `json:"name"`
	Ref      string `json:"ref"`
	Version  string `json:"version"`
	Digest   string `json:"digest"`
	Type     Type   `json:"type"`
	Platform string `json:"platform,omitempty"`
	// Dir is the directory the files were installed into.
	Dir string `json:"dir"`
	// Files are absolute paths of the installed files.
	Files       []string  `json:"files"`
	InstalledAt time.Time `json:"installedAt"`
}

type stateDoc struct {
	Artifacts []Record `json:"artifacts"`
}

// State is the JSON store of installed artifacts. Writes are atomic
// (temporary file, fsync, rename); Lock serialises installs between
// processes.
type State struct {
	dir string
}

// OpenState returns the store in dir (created on first write).
func OpenState(dir string) *State { return &State{dir: dir} }

// Path is the store's file.
func (s *State) Path() string { return filepath.Join(s.dir, StateFileName) }

// Lock takes an exclusive lock on the store until unlock is called.
func (s *State) Lock() (unlock func(), err error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("state directory %s: %w", s.dir, err)
	}
	f, err := os.OpenFile(filepath.Join(s.dir, ".installed.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("state lock %s: %w", f.Name(), err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// List returns the installed artifacts sorted by name. A missing store is
// empty.
func (s *State) List() ([]Record, error) {
	data, err := os.ReadFile(s.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state store: %w", err)
	}
	var doc stateDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("state store %s: %w (move the file away to start afresh)", s.Path(), err)
	}
	sort.Slice(doc.Artifacts, func(i, j int) bool { return doc.Artifacts[i].Name < doc.Artifacts[j].Name })
	return doc.Artifacts, nil
}

// Get returns the record of name.
func (s *State) Get(name string) (*Record, error) {
	recs, err := s.List()
	if err != nil {
		return nil, err
	}
	for i := range recs {
		if recs[i].Name == name {
			return &recs[i], nil
		}
	}
	return nil, nil
}

// Put adds or replaces the record of rec.Name.
func (s *State) Put(rec Record) error {
	return s.update(func(recs []Record) []Record {
		for i := range recs {
			if recs[i].Name == rec.Name {
				recs[i] = rec
				return recs
			}
		}
		return append(recs, rec)
	})
}

// Delete removes the record of name.
func (s *State) Delete(name string) error {
	return s.update(func(recs []Record) []Record {
		out := recs[:0]
		for _, r := range recs {
			if r.Name != name {
				out = append(out, r)
			}
		}
		return out
	})
}

func (s *State) update(fn func([]Record) []Record) error {
	recs, err := s.List()
	if err != nil {
		return err
	}
	recs = fn(recs)
	sort.Slice(recs, func(i, j int) bool { return recs[i].Name < recs[j].Name })
	data, err := json.MarshalIndent(stateDoc{Artifacts: recs}, "", "  ")
	if err != nil {
		return err
	}
	if err := registry.WriteFileAtomic(s.Path(), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing state store: %w", err)
	}
	return nil
}
