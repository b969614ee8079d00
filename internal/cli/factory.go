package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/lmittmann/tint"
	"golang.org/x/term"

	"github.com/sakersec/saker/internal/config"
)

// IOStreams are the standard streams of a command.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// IsTerminal reports whether w is an interactive terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// GlobalOptions are the persistent flags of the root command.
type GlobalOptions struct {
	ConfigFile string
	LogLevel   string
	LogFormat  string
}

// Factory gives commands their dependencies.
type Factory struct {
	IO      IOStreams
	Options GlobalOptions
	// Getenv reads the environment; tests replace it.
	Getenv func(string) string

	once   sync.Once
	cfg    *config.Config
	cfgErr error
	logger *slog.Logger
}

// NewFactory returns a Factory on the process's standard streams.
func NewFactory() *Factory {
	return &Factory{
		IO:      IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr},
		Options: GlobalOptions{ConfigFile: config.DefaultConfigFile, LogLevel: "info", LogFormat: "color"},
		Getenv:  os.Getenv,
	}
}

// Config loads the configuration once (file, then environment overrides).
func (f *Factory) Config() (*config.Config, error) {
	f.once.Do(func() {
		f.cfg, f.cfgErr = config.Load(f.Options.ConfigFile)
		if f.cfgErr == nil {
			f.cfgErr = config.ApplyEnv(f.cfg, f.Getenv)
		}
	})
	return f.cfg, f.cfgErr
}

// Logger returns the logger built from --log-level and --log-format. Logs go
// to the error stream so that stdout carries only command output.
func (f *Factory) Logger() *slog.Logger {
	if f.logger == nil {
		l, err := NewLogger(f.IO.ErrOut, f.Options.LogLevel, f.Options.LogFormat)
		if err != nil {
			l = slog.New(slog.NewTextHandler(f.IO.ErrOut, nil))
		}
		f.logger = l
	}
	return f.logger
}

// NewLogger builds a slog.Logger. format is text, json or color (colour is
// used only when w is a terminal, plain text otherwise).
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug", "trace":
		lv = slog.LevelDebug
	case "info", "":
		lv = slog.LevelInfo
	case "warn", "warning":
		lv = slog.LevelWarn
	case "error", "fatal":
		lv = slog.LevelError
	default:
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "color", "":
		return slog.New(tint.NewHandler(w, &tint.Options{Level: lv, NoColor: !IsTerminal(w), TimeFormat: "15:04:05"})), nil
	default:
		return nil, fmt.Errorf("--log-format %q: want text, json or color", format)
	}
}

// PrintJSON writes v as indented JSON followed by a newline.
func PrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// ValidateOutput checks an -o/--output flag value.
func ValidateOutput(o string) error {
	switch o {
	case "", "text", "table", "json":
		return nil
	}
	return fmt.Errorf("--output %q: want text or json", o)
}
