package outputs

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/syslog"
	"os"
	"os/exec"
	"sync"

	"github.com/sakersec/saker/sensor/alert"
)

// Writer is a sink on an io.Writer (stdout): one line per alert. Unless
// buffered, every line is flushed at once, as Falco's buffered_outputs
// false does.
type Writer struct {
	name     string
	format   Format
	w        *bufio.Writer
	buffered bool
	buf      []byte
}

// NewWriter returns a sink named name writing to w.
func NewWriter(name string, w io.Writer, f Format, buffered bool) *Writer {
	return &Writer{name: name, format: f, w: bufio.NewWriterSize(w, 64<<10), buffered: buffered}
}

// Name implements Sink.
func (s *Writer) Name() string { return s.name }

// Write implements Sink.
func (s *Writer) Write(_ context.Context, a *alert.Alert) error {
	s.buf = append(s.format.Append(s.buf[:0], a), '\n')
	if _, err := s.w.Write(s.buf); err != nil {
		return err
	}
	if !s.buffered {
		return s.w.Flush()
	}
	return nil
}

// Close flushes.
func (s *Writer) Close() error { return s.w.Flush() }

// File appends alerts to a file, keeping it open with keepAlive or opening
// it for every alert otherwise (so that log rotation needs no signal).
type File struct {
	path      string
	format    Format
	keepAlive bool
	buffered  bool
	f         *os.File
	w         *bufio.Writer
	buf       []byte
}

// NewFile returns a file sink. The file is created on the first alert.
func NewFile(path string, f Format, keepAlive, buffered bool) *File {
	return &File{path: path, format: f, keepAlive: keepAlive, buffered: buffered}
}

// Name implements Sink.
func (s *File) Name() string { return "file" }

// Write implements Sink.
func (s *File) Write(_ context.Context, a *alert.Alert) error {
	if s.f == nil {
		f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("file_output: %w", err)
		}
		s.f, s.w = f, bufio.NewWriter(f)
	}
	s.buf = append(s.format.Append(s.buf[:0], a), '\n')
	if _, err := s.w.Write(s.buf); err != nil {
		return fmt.Errorf("file_output %s: %w", s.path, err)
	}
	if s.keepAlive && s.buffered {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("file_output %s: %w", s.path, err)
	}
	if !s.keepAlive {
		err := s.f.Close()
		s.f, s.w = nil, nil
		return err
	}
	return nil
}

// Close flushes and closes the file.
func (s *File) Close() error {
	if s.f == nil {
		return nil
	}
	err := s.w.Flush()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	return err
}

// Program pipes alerts to a shell command's stdin: one long-running
// process with keepAlive, otherwise one process per alert.
type Program struct {
	command   string
	format    Format
	keepAlive bool
	cmd       *exec.Cmd
	stdin     io.WriteCloser
	buf       []byte
	// Stdout and Stderr receive the program's output (nil: discarded).
	Stdout, Stderr io.Writer
}

// NewProgram returns a program sink running command with /bin/sh -c.
func NewProgram(command string, f Format, keepAlive bool) *Program {
	return &Program{command: command, format: f, keepAlive: keepAlive}
}

// Name implements Sink.
func (s *Program) Name() string { return "program" }

func (s *Program) start() error {
	cmd := exec.Command("/bin/sh", "-c", s.command)
	cmd.Stdout, cmd.Stderr = s.Stdout, s.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("program_output: starting %q: %w", s.command, err)
	}
	s.cmd, s.stdin = cmd, in
	return nil
}

// Write implements Sink.
func (s *Program) Write(_ context.Context, a *alert.Alert) error {
	if s.cmd == nil {
		if err := s.start(); err != nil {
			return err
		}
	}
	s.buf = append(s.format.Append(s.buf[:0], a), '\n')
	if _, err := s.stdin.Write(s.buf); err != nil {
		// The program died: restart it on the next alert.
		s.stop()
		return fmt.Errorf("program_output %q: %w", s.command, err)
	}
	if !s.keepAlive {
		return s.stop()
	}
	return nil
}

func (s *Program) stop() error {
	if s.cmd == nil {
		return nil
	}
	s.stdin.Close()
	err := s.cmd.Wait()
	s.cmd, s.stdin = nil, nil
	if err != nil {
		return fmt.Errorf("program_output %q: %w", s.command, err)
	}
	return nil
}

// Close ends the program (closing its stdin) and waits for it.
func (s *Program) Close() error { return s.stop() }

// Syslog sends alerts to the local syslog daemon with the alert's priority
// as severity (Falco's priorities map one to one onto syslog's).
type Syslog struct {
	format Format
	once   sync.Once
	w      *syslog.Writer
	err    error
	buf    []byte
}

// NewSyslog returns a syslog sink; it connects on the first alert.
func NewSyslog(f Format) *Syslog { return &Syslog{format: f} }

// Name implements Sink.
func (s *Syslog) Name() string { return "syslog" }

// Write implements Sink.
func (s *Syslog) Write(_ context.Context, a *alert.Alert) error {
	s.once.Do(func() {
		s.w, s.err = syslog.New(syslog.LOG_USER|syslog.LOG_INFO, "saker")
	})
	if s.err != nil {
		return fmt.Errorf("syslog_output: %w (disable it with -o syslog_output.enabled=false)", s.err)
	}
	s.buf = s.format.Append(s.buf[:0], a)
	msg := string(s.buf)
	switch a.Priority {
	case alert.PriorityEmergency:
		return s.w.Emerg(msg)
	case alert.PriorityAlert:
		return s.w.Alert(msg)
	case alert.PriorityCritical:
		return s.w.Crit(msg)
	case alert.PriorityError:
		return s.w.Err(msg)
	case alert.PriorityWarning:
		return s.w.Warning(msg)
	case alert.PriorityNotice:
		return s.w.Notice(msg)
	case alert.PriorityInformational:
		return s.w.Info(msg)
	default:
		return s.w.Debug(msg)
	}
}

// Close disconnects.
func (s *Syslog) Close() error {
	if s.w != nil {
		return s.w.Close()
	}
	return nil
}

// Func is a sink calling a function, for tests and in-process consumers.
type Func struct {
	N string
	F func(*alert.Alert) error
}

// Name implements Sink.
func (s Func) Name() string { return s.N }

// Write implements Sink.
func (s Func) Write(_ context.Context, a *alert.Alert) error { return s.F(a) }

// Close implements Sink.
func (Func) Close() error { return nil }
