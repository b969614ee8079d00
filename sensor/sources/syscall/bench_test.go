package syscall

import (
	"testing"

	"github.com/sakersec/saker/sensor/event"
	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/state"
)

// BenchmarkExtract reads fields the stock rules and typical outputs read
// from an open event of a known process. Each must stay at 0 allocs/op.
func BenchmarkExtract(b *testing.B) {
	tb := state.New(state.Options{Offline: true})
	exec := mk(b, event.TypeExecve, 10, 1, 0, map[string]any{"exe": "nginx", "args": []string{"-g", "daemon off;"}, "cwd": "/srv", "trusted_exepath": "/usr/sbin/nginx"})
	copy(exec.Comm[:], "nginx")
	tb.Update(exec)
	open := mk(b, event.TypeOpenat, 10, 1, 3, map[string]any{"dirfd": int64(-100), "name": "www/../etc/index.html", "flags": int64(event.OpenRead | event.OpenCloexec), "mode": int64(0o644)})
	copy(open.Comm[:], "nginx")
	var ev Event
	ev.State = tb
	ev.Set(open, tb.Update(open))
	src := Source()
	for _, f := range []string{
		"evt.arg.flags", "evt.arg.name", "evt.rawarg.name", "evt.arg.fd", "evt.rawarg.flags", "evt.arg[2]", "evt.arg.mode",
		"evt.is_open_read", "evt.is_open_exec", "fd.name", "fd.directory", "fs.path.name", "evt.abspath", "proc.name",
	} {
		b.Run(f, func(b *testing.B) {
			ref, err := src.Resolve(f)
			if err != nil {
				b.Fatal(err)
			}
			x, err := src.Extractors().NewExtractor(ref)
			if err != nil {
				b.Fatal(err)
			}
			var v fields.Value
			if !x.Extract(&ev, &v) {
				b.Fatalf("%s has no value", f)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ev.Set(open, ev.Proc) // a new event: no per-event caches
				x.Extract(&ev, &v)
			}
		})
	}
}
