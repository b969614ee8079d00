package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type entry struct {
	name     string
	typ      byte
	body     string
	link     string
	declared int64
}

func tgz(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Linkname: e.link}
		if e.typ == tar.TypeReg {
			h.Size = int64(len(e.body))
			if e.declared > 0 {
				h.Size = e.declared
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write([]byte(e.body))
		if e.declared > 0 {
			_ = tw.Flush()
			_ = gz.Close()
			return buf.Bytes()
		}
	}
	_ = tw.Close()
	_ = gz.Close()
	return buf.Bytes()
}

func TestExtract(t *testing.T) {
	dir := t.TempDir()
	files, err := Extract(bytes.NewReader(tgz(t,
		entry{name: "./", typ: tar.TypeDir},
		entry{name: "rules.yaml", typ: tar.TypeReg, body: "- list: a\n"},
		entry{name: "sub/", typ: tar.TypeDir},
		entry{name: "sub/data.json", typ: tar.TypeReg, body: "{}"},
	)), dir, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(files, ",") != "rules.yaml,sub/data.json" {
		t.Fatalf("files %v", files)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "sub", "data.json")); string(b) != "{}" {
		t.Fatalf("sub/data.json = %q", b)
	}
}

func TestExtractRejectsUnsafeArchives(t *testing.T) {
	cases := map[string][]entry{
		"dotdot":        {{name: "../evil", typ: tar.TypeReg, body: "x"}},
		"inner dotdot":  {{name: "a/../../evil", typ: tar.TypeReg, body: "x"}},
		"absolute":      {{name: "/etc/evil", typ: tar.TypeReg, body: "x"}},
		"symlink":       {{name: "l", typ: tar.TypeSymlink, link: "/etc"}},
		"hardlink":      {{name: "h", typ: tar.TypeLink, link: "../x"}},
		"char device":   {{name: "c", typ: tar.TypeChar}},
		"block device":  {{name: "b", typ: tar.TypeBlock}},
		"fifo":          {{name: "f", typ: tar.TypeFifo}},
		"too big":       {{name: "big", typ: tar.TypeReg, body: "x", declared: 2 << 20}},
		"duplicate":     {{name: "a", typ: tar.TypeReg, body: "1"}, {name: "./a", typ: tar.TypeReg, body: "2"}},
		"empty archive": {},
		"truncated":     {{name: "t", typ: tar.TypeReg, body: "abc", declared: 10}},
	}
	for name, entries := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Extract(bytes.NewReader(tgz(t, entries...)), dir, Limits{MaxFileSize: 1 << 20})
			if !errors.Is(err, ErrUnsafe) {
				t.Fatalf("err = %v, want ErrUnsafe", err)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "evil")); err == nil {
				t.Fatal("a file was written outside the destination")
			}
		})
	}
	// The total size limit counts every file.
	_, err := Extract(bytes.NewReader(tgz(t,
		entry{name: "a", typ: tar.TypeReg, body: strings.Repeat("a", 600)},
		entry{name: "b", typ: tar.TypeReg, body: strings.Repeat("b", 600)},
	)), t.TempDir(), Limits{MaxTotalSize: 1000})
	if !errors.Is(err, ErrUnsafe) {
		t.Fatalf("total size: %v, want ErrUnsafe", err)
	}
}

// rawTar returns the uncompressed tar of entries.
func rawTar(t testing.TB, entries ...entry) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(tgz(t, entries...)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(zr)
	return buf.Bytes()
}

// FuzzExtract checks that no archive, however malformed, writes outside
// the destination or leaves anything but regular files and directories.
// The fuzzer mutates the tar stream; gzip is applied here so that
// mutations reach the tar parser.
func FuzzExtract(f *testing.F) {
	f.Add(rawTar(f, entry{name: "rules.yaml", typ: tar.TypeReg, body: "x"}))
	f.Add(rawTar(f, entry{name: "../x", typ: tar.TypeReg, body: "x"}))
	f.Add(rawTar(f, entry{name: "d/", typ: tar.TypeDir}, entry{name: "d/x", typ: tar.TypeReg, body: "x"}))
	f.Add(rawTar(f, entry{name: "l", typ: tar.TypeSymlink, link: "/"}, entry{name: "l/x", typ: tar.TypeReg, body: "x"}))
	// One scratch directory per fuzzing process: t.TempDir per input
	// costs more than the extraction itself.
	// tmpfs, where there is one, keeps the disk out of the loop.
	root := ""
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		root = "/dev/shm"
	}
	base, err := os.MkdirTemp(root, "fuzzextract-")
	if err != nil {
		base, err = os.MkdirTemp("", "fuzzextract-")
	}
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(base) })
	f.Fuzz(func(t *testing.T, raw []byte) {
		var zbuf bytes.Buffer
		zw := gzip.NewWriter(&zbuf)
		_, _ = zw.Write(raw)
		_ = zw.Close()
		parent, err := os.MkdirTemp(base, "run-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(parent)
		dir := filepath.Join(parent, "dest")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		files, err := Extract(&zbuf, dir, Limits{MaxFileSize: 64 << 10, MaxTotalSize: 256 << 10, MaxEntries: 32})
		entries, _ := os.ReadDir(parent)
		if len(entries) != 1 {
			t.Fatalf("extract wrote beside the destination: %v", entries)
		}
		_ = filepath.Walk(dir, func(p string, fi os.FileInfo, werr error) error {
			if werr == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
				t.Fatalf("extract created %s with mode %v", p, fi.Mode())
			}
			return nil
		})
		if err == nil {
			for _, f := range files {
				if strings.HasPrefix(f, "/") || strings.Contains("/"+f+"/", "/../") {
					t.Fatalf("unsafe file name returned: %q", f)
				}
			}
		}
	})
}
