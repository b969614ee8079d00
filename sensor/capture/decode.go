package capture

import (
	"encoding/binary"
	"fmt"

	"github.com/sakersec/saker/sensor/event"
)

// HeaderSize is the size of a record header (struct rec_hdr in
// drivers/bpf/types.h).
const HeaderSize = 64

// Record header layout (little endian).
const (
	offTS      = 0
	offRes     = 8
	offTID     = 16
	offPID     = 20
	offPPID    = 24
	offUID     = 28
	offGID     = 32
	offSyscall = 36
	offCPU     = 40
	offType    = 44
	offComm    = 48
)

// Decode decodes one ring-buffer record into e. The event's timestamp is
// the record's boot-clock time plus bootOffset (wall clock minus boot
// clock, see [BootOffset]); e.Num is left to the caller. Byte arguments
// point into rec, which must not change while e is used.
func Decode(rec []byte, bootOffset int64, e *event.Event) error {
	if len(rec) < HeaderSize {
		return fmt.Errorf("record of %d bytes, shorter than the %d-byte header: %w", len(rec), HeaderSize, event.ErrMalformed)
	}
	le := binary.LittleEndian
	t := event.Type(le.Uint16(rec[offType:]))
	if t == event.TypeUnknown || t >= event.NumTypes {
		return fmt.Errorf("record type %d: %w", t, event.ErrMalformed)
	}
	e.Type = t
	e.TS = int64(le.Uint64(rec[offTS:])) + bootOffset
	e.Res = int64(le.Uint64(rec[offRes:]))
	e.TID = int64(le.Uint32(rec[offTID:]))
	e.PID = int64(le.Uint32(rec[offPID:]))
	e.PPID = int64(le.Uint32(rec[offPPID:]))
	e.UID = le.Uint32(rec[offUID:])
	e.GID = le.Uint32(rec[offGID:])
	e.Syscall = int32(le.Uint32(rec[offSyscall:]))
	e.CPU = le.Uint32(rec[offCPU:])
	copy(e.Comm[:], rec[offComm:offComm+16])
	return e.SetArgs(rec[HeaderSize:])
}

// Header is the fixed part of a record, for building records in tests and
// tools (see [AppendRecord]).
type Header struct {
	BootNS   uint64
	Res      int64
	TID, PID uint32
	PPID     uint32
	UID, GID uint32
	Syscall  int32
	CPU      uint32
	Type     event.Type
	Comm     string
}

// AppendRecord appends a record with header h and argument area args (as
// built by [event.Encoder]) to dst: the inverse of [Decode].
func AppendRecord(dst []byte, h Header, args []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint64(dst, h.BootNS)
	dst = le.AppendUint64(dst, uint64(h.Res))
	for _, v := range []uint32{h.TID, h.PID, h.PPID, h.UID, h.GID, uint32(h.Syscall), h.CPU} {
		dst = le.AppendUint32(dst, v)
	}
	dst = le.AppendUint16(dst, uint16(h.Type))
	dst = le.AppendUint16(dst, 0)
	var comm [16]byte
	copy(comm[:15], h.Comm)
	dst = append(dst, comm[:]...)
	return append(dst, args...)
}
