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
	if err := enc.Args(typ, args); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), enc.Bytes()...)
}
