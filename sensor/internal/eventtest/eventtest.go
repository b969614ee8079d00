// Package eventtest builds encoded event arguments for the sensor's tests,
// so a test can state an event's arguments by name instead of by position.
package eventtest

import (
	"testing"

	"github.com/sakersec/saker/sensor/event"
)

// Args encodes the record arguments of an event of type typ, taking each
// from args by name: string, []string (lists), int64, int, [event.Tuple] or
// [event.SockAddr]. An absent argument is empty (strings, lists, tuples,
// addresses) or zero (numbers). The returned slice is the caller's own.
func Args(t testing.TB, typ event.Type, args map[string]any) []byte {
	t.Helper()
	var enc event.Encoder
	for _, a := range event.Schema(typ) {
		if a.Src != event.SrcRecord {
			continue
		}
		switch v := args[a.Name].(type) {
		case string:
			enc.Str(v)
		case []string:
			enc.List(v...)
		case int64:
			enc.Int(v)
		case int:
			enc.Int(int64(v))
		case event.Tuple:
			enc.Tuple(v)
		case event.SockAddr:
			enc.SockAddr(v)
		case nil:
			switch a.Kind {
			case event.KindPath, event.KindString, event.KindBytes, event.KindList, event.KindTuple, event.KindSockAddr:
				enc.Raw(nil)
			default:
				enc.Int(0)
			}
		default:
			t.Fatalf("arg %s: unsupported %T", a.Name, v)
		}
	}
	return append([]byte(nil), enc.Bytes()...)
}
