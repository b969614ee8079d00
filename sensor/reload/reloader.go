package reload

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultDebounce is how long a burst of changes must be quiet before the
// reload starts: an install or a ConfigMap update touches several files.
const DefaultDebounce = 250 * time.Millisecond

// ErrNoReload is returned by [New] without a Reload function.
var ErrNoReload = errors.New("reload: no Reload function")

// Options configure a [Reloader].
type Options struct {
	// Reload compiles the new rules and swaps them in; an error must
	// leave the running rules in place.
	Reload func(ctx context.Context, reason string) error
	// Paths returns the files and directories to watch. It is called
	// again after every reload, since a new configuration may name other
	// files. Missing paths are watched through their parent directory.
	Paths func() []string
	// Watch turns on the file watcher (falco.yaml's watch_config_files).
	Watch bool
	// Signals trigger a reload; nil means SIGHUP, an empty slice none.
	Signals []os.Signal
	// Debounce is the quiet time before a reload; 0 means
	// DefaultDebounce.
	Debounce time.Duration
	// Status records every reload; nil keeps no record.
	Status *Status
	Logger *slog.Logger
}

// Reloader runs reloads when watched files change, on a signal, or on
// [Reloader.Trigger]. Reloads run one at a time on Run's goroutine.
type Reloader struct {
	o    Options
	log  *slog.Logger
	trig chan string
}

// New returns a Reloader; call Run to start it.
func New(o Options) (*Reloader, error) {
	if o.Reload == nil {
		return nil, ErrNoReload
	}
	if o.Debounce <= 0 {
		o.Debounce = DefaultDebounce
	}
	if o.Signals == nil {
		o.Signals = []os.Signal{syscall.SIGHUP}
	}
	if o.Paths == nil {
		o.Paths = func() []string { return nil }
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Reloader{o: o, log: log, trig: make(chan string, 16)}, nil
}

// Trigger asks for a reload (debounced like file changes). It never
// blocks; triggers that arrive while many are pending are merged.
func (r *Reloader) Trigger(reason string) {
	select {
	case r.trig <- reason:
	default:
	}
}

// Run watches and reloads until ctx ends, then returns nil.
func (r *Reloader) Run(ctx context.Context) error {
	var sig chan os.Signal
	if len(r.o.Signals) > 0 {
		sig = make(chan os.Signal, 1)
		signal.Notify(sig, r.o.Signals...)
		defer signal.Stop(sig)
	}
	var w *watchSet
	if r.o.Watch {
		fw, err := fsnotify.NewWatcher()
		if err != nil {
			r.log.Warn("cannot watch rules and configuration files; reload with SIGHUP instead", "err", err)
		} else {
			defer fw.Close()
			w = &watchSet{w: fw, log: r.log, dirs: map[string]bool{}, files: map[string]bool{}, watched: map[string]bool{}}
			w.sync(r.o.Paths())
		}
	}
	var (
		events  <-chan fsnotify.Event
		errs    <-chan error
		timer   *time.Timer
		timerC  <-chan time.Time
		pending string
	)
	if w != nil {
		events, errs = w.w.Events, w.w.Errors
	}
	arm := func(reason string) {
		if pending == "" {
			pending = reason
		}
		if timer == nil {
			timer = time.NewTimer(r.o.Debounce)
		} else {
			timer.Reset(r.o.Debounce)
		}
		timerC = timer.C
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case s := <-sig:
			r.log.Info("reloading rules on signal", "signal", s.String())
			arm("signal " + s.String())
		case reason := <-r.trig:
			arm(reason)
		case ev := <-events:
			if w.relevant(ev) {
				r.log.Debug("watched file changed", "file", ev.Name, "op", ev.Op.String())
				arm("file changed: " + ev.Name)
			}
		case err := <-errs:
			r.log.Warn("file watcher", "err", err)
		case <-timerC:
			timerC = nil
			reason := pending
			pending = ""
			r.reloadNow(ctx, reason)
			if w != nil {
				w.sync(r.o.Paths())
			}
		}
	}
}

func (r *Reloader) reloadNow(ctx context.Context, reason string) {
	start := time.Now()
	err := r.o.Reload(ctx, reason)
	took := time.Since(start)
	if ctx.Err() != nil {
		return
	}
	if r.o.Status != nil {
		r.o.Status.Record(reason, err, took, time.Now())
	}
	if err != nil {
		r.log.Error("rules reload failed; the previous rules keep running", "reason", reason, "err", err)
		return
	}
	r.log.Info("rules reloaded", "reason", reason, "took", took.Round(time.Microsecond).String())
}

// watchSet maps the paths of interest to the directories fsnotify watches.
type watchSet struct {
	w   *fsnotify.Watcher
	log *slog.Logger
	// dirs are watched directories whose YAML files count (rules.d);
	// files are watched files, seen through their directory.
	dirs, files map[string]bool
	watched     map[string]bool
}

// sync watches the directories paths need and unwatches the others.
func (s *watchSet) sync(paths []string) {
	dirs, files, want := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, p := range paths {
		p, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			dirs[p] = true
			want[p] = true
		}
		// The parent too: a file replaced by rename, a directory created
		// or swapped, or a ConfigMap's ..data symlink.
		files[p] = true
		if parent := filepath.Dir(p); parent != p {
			if _, err := os.Stat(parent); err == nil {
				want[parent] = true
			}
		}
	}
	for d := range s.watched {
		if !want[d] {
			_ = s.w.Remove(d)
			delete(s.watched, d)
		}
	}
	for d := range want {
		if s.watched[d] {
			continue
		}
		if err := s.w.Add(d); err != nil {
			s.log.Warn("cannot watch directory; its changes need SIGHUP", "dir", d, "err", err)
			continue
		}
		s.watched[d] = true
	}
	s.dirs, s.files = dirs, files
}

// relevant reports whether ev changes a watched file: the file itself, a
// YAML file in a watched directory, or a ..data style entry (Kubernetes
// ConfigMap and Secret volumes swap these atomically).
func (s *watchSet) relevant(ev fsnotify.Event) bool {
	if ev.Op == fsnotify.Chmod {
		return false
	}
	name := filepath.Clean(ev.Name)
	if s.files[name] {
		return true
	}
	dir, base := filepath.Dir(name), filepath.Base(name)
	if !s.watched[dir] {
		return false
	}
	if strings.HasPrefix(base, "..") {
		return true
	}
	if s.dirs[dir] {
		ext := filepath.Ext(base)
		return (ext == ".yaml" || ext == ".yml") && !strings.HasPrefix(base, ".")
	}
	return false
}
