package capture

import (
	"github.com/sakersec/saker/drivers/syscalls"
	"github.com/sakersec/saker/sensor/event"
)

// SyscallType maps a native syscall number of the running architecture
// (event.Event.Syscall) to its event type; the tables themselves, for
// x86_64 and arm64, are in drivers/syscalls.
func SyscallType(nr int32) (event.Type, bool) {
	tb, err := syscalls.Native()
	if err != nil {
		return event.TypeUnknown, false
	}
	return tb.Type(int(nr))
}
