package archive

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Limits bound what an archive may hold. Zero fields take the defaults.
type Limits struct {
	// MaxFileSize caps one file (default 512 MiB: plugins are shared
	// libraries of tens of MiB).
	MaxFileSize int64
	// MaxTotalSize caps the sum of all files (default 1 GiB).
	MaxTotalSize int64
	// MaxEntries caps the number of archive entries (default 10000).
	MaxEntries int
}

// DefaultLimits are the limits used when none are given.
var DefaultLimits = Limits{MaxFileSize: 512 << 20, MaxTotalSize: 1 << 30, MaxEntries: 10000}

// WithDefaults returns l with zero fields set to the defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultLimits.MaxFileSize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = DefaultLimits.MaxTotalSize
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultLimits.MaxEntries
	}
	return l
}

// Extract unpacks the tar.gz stream r into dir, which must exist and
// should be empty. Only regular files and directories are accepted:
// entries with absolute paths or ".." elements, links, devices and FIFOs,
// and entries beyond the limits fail with [ErrUnsafe]. Files are not
// fsynced: the caller syncs what it keeps. It returns the regular files written, as slash-separated paths
// relative to dir, in archive order.
func Extract(r io.Reader, dir string, limits Limits) ([]string, error) {
	limits = limits.WithDefaults()
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: layer is not gzip-compressed: %v", ErrUnsafe, err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	var files []string
	seen := map[string]bool{}
	var total int64
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: corrupt archive: %v", ErrUnsafe, err)
		}
		if n >= limits.MaxEntries {
			return nil, fmt.Errorf("%w: more than %d entries", ErrUnsafe, limits.MaxEntries)
		}
		name, err := safeName(hdr.Name)
		if err != nil {
			return nil, err
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if name == "." {
				continue
			}
			if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(name)), 0o755); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		case tar.TypeReg, tar.TypeRegA:
			if name == "." {
				return nil, fmt.Errorf("%w: entry %q has no file name", ErrUnsafe, hdr.Name)
			}
			if seen[name] {
				return nil, fmt.Errorf("%w: %q appears twice", ErrUnsafe, name)
			}
			seen[name] = true
			if hdr.Size < 0 || hdr.Size > limits.MaxFileSize {
				return nil, fmt.Errorf("%w: %q is %d bytes, over the %d-byte limit per file", ErrUnsafe, name, hdr.Size, limits.MaxFileSize)
			}
			total += hdr.Size
			if total > limits.MaxTotalSize {
				return nil, fmt.Errorf("%w: files add up to more than the %d-byte limit", ErrUnsafe, limits.MaxTotalSize)
			}
			if err := writeFile(dir, name, tr, hdr); err != nil {
				return nil, err
			}
			files = append(files, name)
		case tar.TypeSymlink, tar.TypeLink:
			return nil, fmt.Errorf("%w: %q is a link (to %q); links are not installed", ErrUnsafe, hdr.Name, hdr.Linkname)
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			return nil, fmt.Errorf("%w: %q is a device or FIFO", ErrUnsafe, hdr.Name)
		default:
			return nil, fmt.Errorf("%w: %q has unsupported entry type %q", ErrUnsafe, hdr.Name, hdr.Typeflag)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: the archive holds no file", ErrUnsafe)
	}
	return files, nil
}

// safeName cleans an archive path and rejects absolute paths and ".."
// elements (even ones that would clean away, which only a hostile archive
// writes).
func safeName(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%w: entry with an empty name", ErrUnsafe)
	}
	if strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%w: entry name %q holds a NUL byte", ErrUnsafe, name)
	}
	slashed := strings.ReplaceAll(name, "\\", "/")
	if strings.HasPrefix(slashed, "/") || filepath.IsAbs(name) || (len(slashed) > 1 && slashed[1] == ':') {
		return "", fmt.Errorf("%w: %q is an absolute path", ErrUnsafe, name)
	}
	for _, elem := range strings.Split(slashed, "/") {
		if elem == ".." {
			return "", fmt.Errorf("%w: %q escapes the destination with \"..\"", ErrUnsafe, name)
		}
	}
	return path.Clean(slashed), nil
}

func writeFile(dir, name string, r io.Reader, hdr *tar.Header) error {
	dst := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	mode := os.FileMode(hdr.Mode).Perm() & 0o755
	if mode&0o600 != 0o600 {
		mode |= 0o644
	}
	// O_EXCL: a path created by an earlier entry (or a directory of that
	// name) is never followed or overwritten.
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUnsafe, name, err)
	}
	n, err := io.Copy(f, io.LimitReader(r, hdr.Size))
	if err != nil {
		err = fmt.Errorf("%w: corrupt archive: %v", ErrUnsafe, err)
	} else if n != hdr.Size {
		err = fmt.Errorf("%w: %q is truncated (%d of %d bytes)", ErrUnsafe, name, n, hdr.Size)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
