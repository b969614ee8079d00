package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/drivers"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/sensor/capture"
	"github.com/sakersec/saker/sensor/event"
	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/rules"
	"github.com/sakersec/saker/sensor/sources/syscall"
	"github.com/sakersec/saker/sensor/state"
	"github.com/sakersec/saker/sensor/tracefile"
)

// RecordOptions are the inputs of `capture record`.
type RecordOptions struct {
	File string
	// Filter keeps only the events matching this condition (rules
	// language, syscall source); "" keeps every event.
	Filter string
	// Rules are rules files whose macros and lists Filter may use
	// ("embedded" for Saker's defaults).
	Rules []string
	// Duration stops the recording after this long (0: until the command
	// exits or ctx ends).
	Duration time.Duration
	// Command, when set, is run once the capture is attached; only its
	// process tree is recorded, and the recording stops when it exits.
	Command []string
	// AllProcesses records every process while Command runs, not only its
	// tree (for commands whose work happens elsewhere, as `docker run`'s
	// does in the container runtime).
	AllProcesses bool
	// BufferSize is the ring buffer size in bytes (0: the driver's default).
	BufferSize int
	// Stdin, Stdout and Stderr are the command's; nil discards.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Logger         *slog.Logger
	// Attached, when set, is called once events flow (tests start their
	// scenario then).
	Attached func()
}

// RecordStats say what a recording kept.
type RecordStats struct {
	Seen    uint64 // events read from the kernel
	Written uint64 // events written to the file
	Drops   uint64 // events the kernel lost (ring buffer full)
	// ExitCode is the command's exit status (-1 when killed or not run).
	ExitCode int
}

// ErrNoCapture is returned when the kernel capture cannot start.
var ErrNoCapture = errors.New("cannot start the kernel capture")

func newRecordCmd(f *cli.Factory, runF func(*RecordOptions) error) *cobra.Command {
	o := &RecordOptions{}
	c := &cobra.Command{
		Use:   "record FILE [--filter COND] [--duration D] [-- COMMAND [ARG...]]",
		Short: "Record live system calls to a trace file (needs root)",
		Long: `Record the system calls of this machine with the embedded eBPF driver into a
trace file (Saker's capture format, see docs/rule-authoring.md), for
'sakerctl capture read', 'sakerctl run -e' and 'sakerctl rules test'.

With a COMMAND after --, sakerctl starts it once the capture runs, records
only its process tree (the command and every process it starts) and stops
when it exits. Otherwise it records every process until --duration passes
or it is interrupted (Ctrl-C).

--filter keeps only the events matching a condition in the rules language
(for example 'proc.name in (cat, sh) or proc.aname = myscript.sh'). Replays
rebuild process state from the recorded events only, so keep the events of
the processes whose fields your rules read (their execve and clone events).`,
		Example: `  sudo sakerctl capture record shadow.trace -- cat /etc/shadow
  sudo sakerctl capture record web.trace --duration 30s --filter 'container.id != host'
  sudo sakerctl capture record ctr.trace --all --filter "container.id = $ID" -- docker start -a $ID`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.File = args[0]
			if at := cmd.ArgsLenAtDash(); at >= 0 {
				if at != 1 {
					return fmt.Errorf("capture record takes one FILE before --, got %d arguments", at)
				}
				o.Command = args[1:]
			} else if len(args) > 1 {
				return fmt.Errorf("capture record takes one FILE; put a command to run after --: capture record %s -- %v", args[0], args[1:])
			}
			o.Stdin, o.Stdout, o.Stderr = f.IO.In, f.IO.Out, f.IO.ErrOut
			o.Logger = f.Logger()
			if runF != nil {
				return runF(o)
			}
			st, err := Record(cmd.Context(), o)
			if err != nil {
				return err
			}
			o.Logger.Info("trace file written", "file", o.File, "events", st.Written, "seen", st.Seen, "drops", st.Drops)
			if st.Drops > 0 {
				o.Logger.Warn("the kernel dropped events: the recording is incomplete; record less (--filter) or raise the buffer (--buffer-size)", "drops", st.Drops)
			}
			return nil
		},
	}
	fl := c.Flags()
	fl.StringVar(&o.Filter, "filter", "", "record only events matching this condition (rules language, syscall fields)")
	fl.StringArrayVarP(&o.Rules, "rules", "r", nil, "rules file whose macros and lists --filter may use; 'embedded' for Saker's defaults")
	fl.DurationVar(&o.Duration, "duration", 0, "stop after this long (e.g. 10s); default: until the command exits or Ctrl-C")
	fl.BoolVar(&o.AllProcesses, "all", false, "with a command, record every process while it runs, not only its process tree (docker run, kubectl exec)")
	fl.IntVar(&o.BufferSize, "buffer-size", 0, "kernel ring buffer size in bytes, a power of two (default 32 MiB)")
	return c
}

// liveSource is the embedded driver and its ring-buffer reader.
type liveSource struct {
	d    *drivers.Driver
	r    *capture.Reader
	once sync.Once
}

func openLive(bufSize int, log *slog.Logger) (*liveSource, error) {
	d, err := drivers.Load(drivers.LoadOptions{RingBufferSize: bufSize, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoCapture, err)
	}
	r, err := capture.NewReader(d, capture.Options{PollInterval: 2 * time.Millisecond})
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("%w: %w", ErrNoCapture, err)
	}
	if err := d.Attach(); err != nil {
		r.Close()
		d.Close()
		return nil, fmt.Errorf("%w: %w", ErrNoCapture, err)
	}
	return &liveSource{d: d, r: r}, nil
}

func (s *liveSource) Close() {
	s.once.Do(func() {
		s.r.Close()
		s.d.Detach()
		s.d.Close()
	})
}

// Record captures events into o.File until o.Duration passes, o.Command
// exits or ctx ends.
func Record(ctx context.Context, o *RecordOptions) (RecordStats, error) {
	st := RecordStats{ExitCode: -1}
	if o.Duration < 0 {
		return st, fmt.Errorf("--duration %s: want a positive duration such as 10s", o.Duration)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	files, contents := RulesContents(o.Rules)
	flt, err := rules.CompileFilter(rules.FilterOptions{
		Condition: o.Filter, Sources: fields.NewRegistry(syscall.Source()), Files: files, Contents: contents,
	})
	if err != nil {
		return st, fmt.Errorf("--filter: %w", err)
	}
	for _, w := range flt.Warnings {
		log.Warn("--filter: " + w)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	containers := state.NewContainers(state.ContainersOptions{Logger: log})
	go containers.Run(ctx)
	tbl := state.New(state.Options{Containers: containers, Logger: log})
	if err := tbl.Scan(); err != nil {
		log.Warn("scanning /proc failed; processes are learnt from events only", "err", err)
	}
	src, err := openLive(o.BufferSize, log)
	if err != nil {
		return st, err
	}
	defer src.Close()
	w, err := tracefile.Create(o.File)
	if err != nil {
		return st, err
	}
	closed := false
	defer func() {
		if !closed {
			w.Close()
		}
	}()

	var cmd *exec.Cmd
	cmdDone := make(chan struct{})
	var root int64
	tree := map[int64]bool{}
	if len(o.Command) > 0 {
		cmd = exec.Command(o.Command[0], o.Command[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdin, o.Stdout, o.Stderr
		if err := cmd.Start(); err != nil {
			return st, fmt.Errorf("starting %s: %w", o.Command[0], err)
		}
		root = int64(cmd.Process.Pid)
		tree[root] = true
		go func() {
			cmd.Wait()
			st.ExitCode = cmd.ProcessState.ExitCode()
			close(cmdDone)
		}()
	}
	if o.Attached != nil {
		o.Attached()
	}
	// Stop the reader when the time is up, ctx ends, or the command has
	// exited and its exit event has had ample time to arrive (it normally
	// stops the loop itself; this covers a dropped exit event).
	go func() {
		var timeout <-chan time.Time
		if o.Duration > 0 {
			t := time.NewTimer(o.Duration)
			defer t.Stop()
			timeout = t.C
		}
		var exited <-chan time.Time
		done := cmdDone
		if cmd == nil {
			done = nil
		}
		for {
			select {
			case <-ctx.Done():
			case <-timeout:
			case <-done:
				done = nil
				exited = time.After(5 * time.Second)
				continue
			case <-exited:
			}
			// Only the reader: Record still asks the driver for drops.
			src.r.Close()
			return
		}
	}()

	var ev event.Event
	sev := syscall.Event{State: tbl, StartTS: time.Now().UnixNano()}
	for {
		if err := src.r.ReadInto(&ev); err != nil {
			if errors.Is(err, capture.ErrClosed) {
				break
			}
			return st, err
		}
		st.Seen++
		p := tbl.Update(&ev)
		if root != 0 && !o.AllProcesses {
			if !tree[ev.PID] {
				if !tree[ev.PPID] {
					continue
				}
				tree[ev.PID] = true
			}
		}
		sev.Set(&ev, p)
		if flt.Match(&sev) {
			if err := w.Write(&ev); err != nil {
				return st, fmt.Errorf("writing %s: %w", o.File, err)
			}
			st.Written++
		}
		if ev.Type == event.TypeProcExit && ev.PID == root && ev.TID == root {
			break
		}
	}
	st.Drops, _ = src.r.Drops()
	src.Close()
	if cmd != nil {
		select {
		case <-cmdDone:
		default: // the time is up or we were interrupted
			cmd.Process.Kill()
			<-cmdDone
		}
		if st.ExitCode != 0 {
			log.Warn("the recorded command failed", "command", o.Command[0], "exit_code", st.ExitCode)
		}
	}
	closed = true
	if err := w.Close(); err != nil {
		return st, fmt.Errorf("closing %s: %w", o.File, err)
	}
	return st, nil
}
