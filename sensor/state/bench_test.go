package state

import (
	"net/netip"
	"testing"

	"github.com/sakersec/saker/sensor/event"
)

// BenchmarkUpdate applies events of the sensor's common kinds to a table
// that already knows the process: the state's share of the per-event cost.
// Opens, closes and dups must not allocate (descriptors are recycled and
// paths interned); a connect allocates its tuple name.
func BenchmarkUpdate(b *testing.B) {
	tu := event.Tuple{Family: event.FamilyInet, SrcAddr: netip.MustParseAddr("10.0.0.2"), SrcPort: 40000, DstAddr: netip.MustParseAddr("10.0.0.9"), DstPort: 5432}
	cases := []struct {
		name string
		evs  []*event.Event
	}{
		{"open-close", []*event.Event{
			mk(b, event.TypeOpenat, 700, 1, 3, map[string]any{"dirfd": int64(-100), "name": "/etc/hostname", "flags": int64(event.OpenRead | event.OpenCloexec)}),
			mk(b, event.TypeClose, 700, 1, 0, map[string]any{"fd": int64(3)}),
		}},
		{"open-relative", []*event.Event{
			mk(b, event.TypeOpenat, 700, 1, 3, map[string]any{"dirfd": int64(-100), "name": "base/16384/../16384/2619", "flags": int64(event.OpenRead | event.OpenWrite)}),
			mk(b, event.TypeClose, 700, 1, 0, map[string]any{"fd": int64(3)}),
		}},
		{"dup-fcntl", []*event.Event{
			mk(b, event.TypeOpenat, 700, 1, 3, map[string]any{"dirfd": int64(-100), "name": "/etc/hosts", "flags": int64(event.OpenRead)}),
			mk(b, event.TypeDup2, 700, 1, 4, map[string]any{"oldfd": int64(3), "newfd": int64(4)}),
			mk(b, event.TypeClose, 700, 1, 0, map[string]any{"fd": int64(3)}),
			mk(b, event.TypeClose, 700, 1, 0, map[string]any{"fd": int64(4)}),
		}},
		{"socket-connect-close", []*event.Event{
			mk(b, event.TypeSocket, 700, 1, 7, map[string]any{"domain": int64(2), "type": int64(1), "proto": int64(6)}),
			mk(b, event.TypeConnect, 700, 1, 0, map[string]any{"tuple": tu, "fd": int64(7)}),
			mk(b, event.TypeClose, 700, 1, 0, map[string]any{"fd": int64(7)}),
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			tb := New(Options{Offline: true})
			tb.Update(mk(b, event.TypeExecve, 700, 1, 0, map[string]any{"exe": "postgres", "cwd": "/var/lib/postgresql", "trusted_exepath": "/usr/bin/postgres"}))
			for _, ev := range c.evs {
				tb.Update(ev)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tb.Update(c.evs[i%len(c.evs)])
			}
		})
	}
}
