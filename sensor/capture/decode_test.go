package capture

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sakersec/saker/sensor/event"
)

func connectRecord() []byte {
	var enc event.Encoder
	enc.Tuple(event.Tuple{Family: event.FamilyInet, SrcAddr: netip.MustParseAddr("10.0.0.1"), SrcPort: 5555,
		DstAddr: netip.MustParseAddr("10.0.0.2"), DstPort: 443}).
		Int(3).
		SockAddr(event.SockAddr{Family: event.FamilyInet, Addr: netip.MustParseAddr("10.0.0.2"), Port: 443})
	return AppendRecord(nil, Header{BootNS: 1000, Res: 0, TID: 43, PID: 42, PPID: 1, UID: 1000, GID: 100,
		Syscall: 42, CPU: 1, Type: event.TypeConnect, Comm: "curl"}, enc.Bytes())
}

func TestDecodeHeaderAndArgs(t *testing.T) {
	var e event.Event
	if err := Decode(connectRecord(), 5_000, &e); err != nil {
		t.Fatal(err)
	}
	if e.Type != event.TypeConnect || e.TS != 6000 || e.TID != 43 || e.PID != 42 || e.PPID != 1 ||
		e.UID != 1000 || e.GID != 100 || e.Syscall != 42 || e.CPU != 1 || string(e.CommBytes()) != "curl" {
		t.Errorf("header decoded as %+v", e)
	}
	a, ok := e.Arg("tuple")
	if !ok || string(a.AppendValue(nil)) != "10.0.0.1:5555->10.0.0.2:443" {
		t.Errorf("tuple = %q", a.AppendValue(nil))
	}
	if fd, _ := e.Int("fd"); fd != 3 {
		t.Errorf("fd = %d", fd)
	}
	if got := string(e.AppendArgs(nil)); got != "res=0 tuple=10.0.0.1:5555->10.0.0.2:443 fd=3 addr=10.0.0.2:443" {
		t.Errorf("evt.args = %q", got)
	}
}

func TestDecodeRejects(t *testing.T) {
	rec := connectRecord()
	var e event.Event
	cases := map[string][]byte{
		"short header":   rec[:HeaderSize-1],
		"truncated args": rec[:len(rec)-3],
		"unknown type":   AppendRecord(nil, Header{Type: event.NumTypes}, nil),
		"type zero":      AppendRecord(nil, Header{Type: event.TypeUnknown}, nil),
		"missing args":   AppendRecord(nil, Header{Type: event.TypeOpenat}, nil),
	}
	for name, r := range cases {
		if err := Decode(r, 0, &e); !errors.Is(err, event.ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(connectRecord())
	var enc event.Encoder
	enc.Int(-100).Str("/etc/shadow").Int(event.OpenRead).Int(0).Int(0x803).Int(7)
	f.Add(AppendRecord(nil, Header{Type: event.TypeOpenat, Res: 3}, enc.Bytes()))
	enc.Reset()
	enc.Str("sh").List("-c", "id").Str("/").List("cgroup=/")
	f.Add(AppendRecord(nil, Header{Type: event.TypeClone}, enc.Bytes()))
	f.Fuzz(func(t *testing.T, rec []byte) {
		var e event.Event
		if err := Decode(rec, 0, &e); err != nil {
			return
		}
		// Every accessor must cope with whatever decoded.
		buf := e.AppendArgs(nil)
		for i := 0; i < e.NumArgs(); i++ {
			a := e.ArgAt(i)
			_ = a.Int()
			_, _ = a.Tuple()
			_, _ = a.SockAddr()
			it := a.List()
			for _, ok := it.Next(); ok; _, ok = it.Next() {
			}
			buf = a.AppendValue(buf[:0])
		}
		_ = e.IsOpenRead()
		_ = e.IsOpenWrite()
	})
}

func BenchmarkDecode(b *testing.B) {
	var enc event.Encoder
	enc.Int(-100).Str("/usr/lib/x86_64-linux-gnu/libc.so.6").Int(event.OpenRead | event.OpenCloexec).Int(0).Int(0x803).Int(1234)
	rec := AppendRecord(nil, Header{Type: event.TypeOpenat, Res: 3, TID: 1, PID: 1, Comm: "bash"}, enc.Bytes())
	var e event.Event
	b.ReportAllocs()
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		if err := Decode(rec, 0, &e); err != nil {
			b.Fatal(err)
		}
		if _, ok := e.Bytes("name"); !ok {
			b.Fatal("no name")
		}
	}
}

func TestDecodeDoesNotAllocate(t *testing.T) {
	rec := connectRecord()
	var e event.Event
	if n := testing.AllocsPerRun(100, func() { _ = Decode(rec, 0, &e) }); n != 0 {
		t.Errorf("Decode allocates %.1f times per record", n)
	}
}

// Kernel timestamps are boot-clock times; BootOffset turns them into Unix
// times, which alerts show and time-based rules compare.
func TestBootOffsetMapsBootClockToWallClock(t *testing.T) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		t.Skip("no CLOCK_BOOTTIME:", err)
	}
	got := time.Unix(0, ts.Nano()+BootOffset())
	if d := time.Since(got); d < -time.Second || d > time.Second {
		t.Errorf("boot clock %d + offset is %v, %v away from the wall clock", ts.Nano(), got, d)
	}
}
