package state

import (
	"path"
	"testing"
)

func TestAppendCleanMatchesPathClean(t *testing.T) {
	for _, c := range []struct{ dir, raw string }{
		{"/home/u", "../../etc/shadow"}, {"/", "../../../etc"}, {"/a/b", "c/./d//e/"}, {"/a", "/x/../y"},
		{"/a/b", ".."}, {"/a/b", "."}, {"/", "x"}, {"/a/b/", "../../.."}, {"", "rel/x"}, {"/a", "..a/b"},
	} {
		want := path.Clean(path.Join("/", c.dir, c.raw))
		if len(c.raw) > 0 && c.raw[0] == '/' {
			want = path.Clean(c.raw)
		}
		if got := string(appendClean(nil, c.dir, []byte(c.raw))); got != want {
			t.Errorf("(%q, %q) = %q, want %q", c.dir, c.raw, got, want)
		}
	}
}

func FuzzAppendClean(f *testing.F) {
	f.Add("/home/u", "../x/./y//z")
	f.Fuzz(func(t *testing.T, dir, raw string) {
		if dir == "" || dir[0] != '/' {
			dir = "/" + dir
		}
		want := path.Clean(path.Join(dir, raw))
		if len(raw) > 0 && raw[0] == '/' {
			want = path.Clean(raw)
		}
		if got := string(appendClean(nil, dir, []byte(raw))); got != want {
			t.Errorf("(%q, %q) = %q, want %q", dir, raw, got, want)
		}
	})
}

func TestIsClean(t *testing.T) {
	for _, p := range []string{"/", "/etc", "/etc/hostname", "/a/.b/..c/c..", "/a/b.", "", "etc", "//", "/etc/", "/a//b",
		"/a/./b", "/a/../b", "/.", "/..", "/a/.", "/a/..", "/..a", "./a"} {
		want := p != "" && p[0] == '/' && path.Clean(p) == p
		if got := isClean([]byte(p)); got != want {
			t.Errorf("isClean(%q) = %v, want %v", p, got, want)
		}
	}
}

func FuzzIsClean(f *testing.F) {
	f.Add("/a/b/../c")
	f.Fuzz(func(t *testing.T, p string) {
		want := p != "" && p[0] == '/' && path.Clean(p) == p
		if got := isClean([]byte(p)); got != want {
			t.Errorf("isClean(%q) = %v, want %v", p, got, want)
		}
	})
}
