package index

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sakersec/saker/internal/atomicfile"
	"gopkg.in/yaml.v3"
)

// StateFileName is the state store, relative to the state directory.
const StateFileName = "indexes.yaml"

// CacheDirName holds the cached copies of fetched indexes, relative to the
// state directory.
const CacheDirName = "indexes"

// stateFile is the on-disk state store. It records the indexes added with
// `index add` and, for every index (added or from the configuration), when
// it was last fetched and with which ETag, so that a cached copy is only
// trusted for the URL it was fetched from.
type stateFile struct {
	Indexes []record `yaml:"indexes"`
	// DefaultRemoved records `index remove` of the default index: it
	// stays out of effect even when no other index is.
	DefaultRemoved bool `yaml:"defaultRemoved,omitempty"`
}

type record struct {
	Name    string `yaml:"name"`
	URL     string `yaml:"url"`
	Backend string `yaml:"backend"`
	// Added is true for indexes added with `index add`; false records only
	// hold fetch metadata of an index from the configuration file.
	Added     bool      `yaml:"added"`
	AddedAt   time.Time `yaml:"addedAt,omitempty"`
	UpdatedAt time.Time `yaml:"updatedAt,omitempty"`
	ETag      string    `yaml:"etag,omitempty"`
	Entries   int       `yaml:"entries"`
}

func (st *stateFile) find(name string, added bool) int {
	for i := range st.Indexes {
		if st.Indexes[i].Name == name && st.Indexes[i].Added == added {
			return i
		}
	}
	return -1
}

func readState(path string) (stateFile, error) {
	var st stateFile
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("reading index state: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return st, nil
	}
	if err := yaml.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("index state %s is corrupt: %v (fix it, or delete it and add the indexes again)", path, err)
	}
	return st, nil
}

func writeState(path string, st stateFile) error {
	data, err := yaml.Marshal(st)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, 0o644)
}

// cacheFileName maps an index name to a file name. Names that are not safe
// as file names (they come from configuration files) are hashed.
func cacheFileName(name string) string {
	if nameRe.MatchString(name) && len(name) <= 128 {
		return name + ".yaml"
	}
	sum := sha256.Sum256([]byte(name))
	return "x-" + hex.EncodeToString(sum[:8]) + ".yaml"
}

// lockState takes an exclusive lock on the state directory so that two
// sakerctl processes never lose each other's updates to the state store.
func lockState(stateDir string) (unlock func(), err error) {
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(stateDir, ".indexes.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("locking index state: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking index state: %w", err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
