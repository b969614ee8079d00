package tracefile

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sakersec/saker/sensor/event"
)

// Magic opens every trace file.
const Magic = "SAKERTRC"

// Version is the format version this package writes.
const Version = 1

// Errors of [Open] and [Reader.Read], wrapped with the file name.
var (
	ErrNotTrace    = errors.New("not a Saker trace file")
	ErrVersion     = errors.New("unsupported trace file version")
	ErrCorrupt     = errors.New("corrupt trace file")
	errRecordLimit = 1 << 20
)

// hdrSize is the fixed part of an event record.
const hdrSize = 8 + 8 + 2 + 4 + 4 + 8 + 8 + 8 + 4 + 4 + 16 + 8

// Writer appends events to a trace file. It is not safe for concurrent use.
type Writer struct {
	f   io.WriteCloser
	gz  *gzip.Writer
	bw  *bufio.Writer
	buf []byte
	enc event.Encoder
	n   uint64
}

// Create creates (or truncates) path and writes the file header.
func Create(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("trace file: %w", err)
	}
	w, err := NewWriter(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("trace file %s: %w", path, err)
	}
	return w, nil
}

// NewWriter writes a trace to wc, which Close closes.
func NewWriter(wc io.WriteCloser) (*Writer, error) {
	var head [10]byte
	copy(head[:], Magic)
	binary.LittleEndian.PutUint16(head[8:], Version)
	if _, err := wc.Write(head[:]); err != nil {
		return nil, err
	}
	gz, _ := gzip.NewWriterLevel(wc, gzip.BestSpeed)
	w := &Writer{f: wc, gz: gz, bw: bufio.NewWriterSize(gz, 256<<10)}
	names := make([]string, event.NumTypes)
	for t := range names {
		names[t] = event.Type(t).String()
	}
	if err := w.record([]byte(strings.Join(names, "\n"))); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Writer) record(b []byte) error {
	var l [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(l[:], uint64(len(b)))
	if _, err := w.bw.Write(l[:n]); err != nil {
		return err
	}
	_, err := w.bw.Write(b)
	return err
}

// Write appends ev.
func (w *Writer) Write(ev *event.Event) error {
	b := w.buf[:0]
	b = binary.LittleEndian.AppendUint64(b, ev.Num)
	b = binary.LittleEndian.AppendUint64(b, uint64(ev.TS))
	b = binary.LittleEndian.AppendUint16(b, uint16(ev.Type))
	b = binary.LittleEndian.AppendUint32(b, uint32(ev.Syscall))
	b = binary.LittleEndian.AppendUint32(b, ev.CPU)
	b = binary.LittleEndian.AppendUint64(b, uint64(ev.TID))
	b = binary.LittleEndian.AppendUint64(b, uint64(ev.PID))
	b = binary.LittleEndian.AppendUint64(b, uint64(ev.PPID))
	b = binary.LittleEndian.AppendUint32(b, ev.UID)
	b = binary.LittleEndian.AppendUint32(b, ev.GID)
	b = append(b, ev.Comm[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(ev.Res))
	// Rebuild the argument area from the record arguments: the event does
	// not expose its buffer, and this is the same bytes.
	w.enc.Reset()
	for i, a := range event.Schema(ev.Type) {
		if a.Src == event.SrcRecord {
			w.enc.Raw(ev.ArgAt(i).Raw)
		}
	}
	b = append(b, w.enc.Bytes()...)
	w.buf = b
	w.n++
	return w.record(b)
}

// Count returns how many events were written.
func (w *Writer) Count() uint64 { return w.n }

// Close flushes and closes the file.
func (w *Writer) Close() error {
	err := w.bw.Flush()
	if cerr := w.gz.Close(); err == nil {
		err = cerr
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Reader reads events from a trace file. It is not safe for concurrent use.
type Reader struct {
	name  string
	f     io.Closer
	br    *bufio.Reader
	typeM []event.Type // recorded type number -> current Type
	buf   []byte
}

// Open opens a trace file and reads its header.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trace file: %w", err)
	}
	r, err := NewReader(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// NewReader reads a trace from rc (named name in errors).
func NewReader(name string, rc io.ReadCloser) (*Reader, error) {
	var head [10]byte
	if _, err := io.ReadFull(rc, head[:]); err != nil || string(head[:8]) != Magic {
		return nil, fmt.Errorf("%s: %w (record one with `sakerctl run --write FILE`)", name, ErrNotTrace)
	}
	if v := binary.LittleEndian.Uint16(head[8:]); v != Version {
		return nil, fmt.Errorf("%s: %w %d (this sakerctl reads version %d)", name, ErrVersion, v, Version)
	}
	gz, err := gzip.NewReader(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, ErrCorrupt, err)
	}
	r := &Reader{name: name, f: rc, br: bufio.NewReaderSize(gz, 256<<10)}
	h, err := r.record()
	if err != nil {
		return nil, fmt.Errorf("%s: %w: header: %v", name, ErrCorrupt, err)
	}
	for _, n := range strings.Split(string(h), "\n") {
		t, _ := event.ParseType(n)
		r.typeM = append(r.typeM, t)
	}
	return r, nil
}

func (r *Reader) record() ([]byte, error) {
	n, err := binary.ReadUvarint(r.br)
	if err != nil {
		return nil, err
	}
	if n > uint64(errRecordLimit) {
		return nil, fmt.Errorf("record of %d bytes", n)
	}
	if cap(r.buf) < int(n) {
		r.buf = make([]byte, n)
	}
	r.buf = r.buf[:n]
	if _, err := io.ReadFull(r.br, r.buf); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	return r.buf, nil
}

// Read decodes the next event into ev. Argument slices point into the
// reader's buffer until the next Read. It returns io.EOF at the end.
func (r *Reader) Read(ev *event.Event) error {
	b, err := r.record()
	if err == io.EOF {
		return io.EOF
	}
	if err != nil {
		return fmt.Errorf("%s: %w: %v", r.name, ErrCorrupt, err)
	}
	if len(b) < hdrSize {
		return fmt.Errorf("%s: %w: event record of %d bytes", r.name, ErrCorrupt, len(b))
	}
	le := binary.LittleEndian
	ev.Num = le.Uint64(b)
	ev.TS = int64(le.Uint64(b[8:]))
	t := le.Uint16(b[16:])
	ev.Type = event.TypeUnknown
	if int(t) < len(r.typeM) {
		ev.Type = r.typeM[t]
	}
	ev.Syscall = int32(le.Uint32(b[18:]))
	ev.CPU = le.Uint32(b[22:])
	ev.TID = int64(le.Uint64(b[26:]))
	ev.PID = int64(le.Uint64(b[34:]))
	ev.PPID = int64(le.Uint64(b[42:]))
	ev.UID = le.Uint32(b[50:])
	ev.GID = le.Uint32(b[54:])
	copy(ev.Comm[:], b[58:74])
	ev.Res = int64(le.Uint64(b[74:]))
	if err := ev.SetArgs(b[hdrSize:]); err != nil {
		return fmt.Errorf("%s: event %d: %w", r.name, ev.Num, err)
	}
	return nil
}

// Close closes the file.
func (r *Reader) Close() error { return r.f.Close() }
