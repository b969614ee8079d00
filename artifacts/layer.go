package artifacts

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Tracker reports the progress of a transfer; *registry.Progress is one.
type Tracker interface {
	Track(r io.Reader, size int64, label string) (io.Reader, func())
}

// isTarGz reports whether data starts with the gzip magic number and the
// name says tar.gz/tgz: such files are pushed as the layer unchanged, as
// falcoctl does.
func isTarGz(name string, data []byte) bool {
	lower := strings.ToLower(name)
	return (strings.HasSuffix(lower, ".tar.gz") || strings.HasSuffix(lower, ".tgz")) &&
		len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b
}

// layerTitle is the org.opencontainers.image.title of a layer built from
// files: falcoctl names the archive after the first file's name up to its
// first dot ("falco_rules.yaml" → "falco_rules.tar.gz").
func layerTitle(first string) string {
	base := filepath.Base(first)
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	return base + ".tar.gz"
}

// buildLayer returns the tar.gz layer holding files at the archive root
// under their base names (how falcoctl packs a plain file, so that either
// tool extracts the other's artifacts to the same paths), and its title.
// A single .tar.gz file is used as it is.
func buildLayer(files []string) (data []byte, title string, err error) {
	if len(files) == 0 {
		return nil, "", fmt.Errorf("%w: no file to push", ErrInvalid)
	}
	if len(files) == 1 {
		raw, err := os.ReadFile(files[0])
		if err != nil {
			return nil, "", err
		}
		if isTarGz(files[0], raw) {
			return raw, filepath.Base(files[0]), nil
		}
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	seen := map[string]string{}
	for _, f := range files {
		name := filepath.Base(f)
		if prev, dup := seen[name]; dup {
			return nil, "", fmt.Errorf("%w: %s and %s have the same file name %q", ErrInvalid, prev, f, name)
		}
		seen[name] = f
		if err := addFile(tw, f, name); err != nil {
			return nil, "", err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, "", err
	}
	if err := gz.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), layerTitle(files[0]), nil
}

func addFile(tw *tar.Writer, path, name string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file", ErrInvalid, path)
	}
	hdr, err := tar.FileInfoHeader(fi, "")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	hdr.Name = name
	hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(tw, f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
