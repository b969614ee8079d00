package tracefile

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/sakersec/saker/sensor/event"
)

func TestRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.trace")
	w, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	var enc event.Encoder
	enc.Int(-100).Str("../etc/shadow").Int(event.OpenRead).Int(0).Int(0).Int(0)
	ev := &event.Event{Num: 1, TS: 123, Type: event.TypeOpenat, Syscall: 257, CPU: 1, TID: 5, PID: 5, PPID: 1, UID: 1000, GID: 1000, Res: 3}
	copy(ev.Comm[:], "cat")
	if err := ev.SetArgs(enc.Bytes()); err != nil {
		t.Fatal(err)
	}
	enc2 := event.Encoder{}
	enc2.Tuple(event.Tuple{Family: event.FamilyInet, SrcAddr: netip.MustParseAddr("1.2.3.4"), SrcPort: 1, DstAddr: netip.MustParseAddr("5.6.7.8"), DstPort: 80}).Int(4).SockAddr(event.SockAddr{Family: event.FamilyInet, Addr: netip.MustParseAddr("5.6.7.8"), Port: 80})
	ev2 := &event.Event{Num: 2, TS: 456, Type: event.TypeConnect, Syscall: 42, TID: 6, PID: 5, Res: -115}
	if err := ev2.SetArgs(enc2.Bytes()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		if err := w.Write(ev); err != nil {
			t.Fatal(err)
		}
	}
	w.Write(ev2)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got event.Event
	for i := 0; i < 1000; i++ {
		if err := r.Read(&got); err != nil {
			t.Fatal(err)
		}
	}
	if got.Type != event.TypeOpenat || got.TS != 123 || got.Res != 3 || string(got.CommBytes()) != "cat" || got.UID != 1000 || got.Syscall != 257 {
		t.Errorf("header %+v", got)
	}
	if b, _ := got.Bytes("name"); string(b) != "../etc/shadow" {
		t.Errorf("name %q", b)
	}
	if err := r.Read(&got); err != nil {
		t.Fatal(err)
	}
	a, _ := got.Arg("tuple")
	if string(a.AppendValue(nil)) != "1.2.3.4:1->5.6.7.8:80" || got.Res != -115 {
		t.Errorf("connect %q res %d", a.AppendValue(nil), got.Res)
	}
	if err := r.Read(&got); err != io.EOF {
		t.Errorf("end: %v", err)
	}
	if st, _ := os.Stat(p); st.Size() > 4096 {
		t.Errorf("1001 similar events take %d bytes: not compressed?", st.Size())
	}
}

func TestRejectsOtherFiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x")
	os.WriteFile(p, []byte("hello world, not a trace"), 0o644)
	if _, err := Open(p); !errors.Is(err, ErrNotTrace) {
		t.Errorf("err = %v", err)
	}
	os.WriteFile(p, append([]byte(Magic), 9, 0), 0o644)
	if _, err := Open(p); !errors.Is(err, ErrVersion) {
		t.Errorf("err = %v", err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(Magic + "\x01\x00"))
	var buf nopCloser
	w, _ := NewWriter(&buf)
	var enc event.Encoder
	enc.Int(3)
	ev := &event.Event{Num: 1, Type: event.TypeClose}
	ev.SetArgs(enc.Bytes())
	w.Write(ev)
	w.Close()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader("fuzz", io.NopCloser(bytes.NewReader(b)))
		if err != nil {
			return
		}
		defer r.Close()
		var ev event.Event
		for i := 0; i < 100; i++ {
			if r.Read(&ev) != nil {
				return
			}
			ev.AppendArgs(nil)
		}
	})
}

type nopCloser struct{ bytes.Buffer }

func (*nopCloser) Close() error { return nil }
