package artifact

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/sakersec/saker/drivers"
	"github.com/sakersec/saker/internal/config"
)

// Active returns the driver installed in dir (empty: the default
// directory), or nil when none is.
func Active(dir string) (*Installed, error) {
	if dir == "" {
		dir = config.DefaultDriversDir
	}
	cur := filepath.Join(dir, CurrentLink)
	data, err := os.ReadFile(filepath.Join(cur, MetaFile))
	if errors.Is(err, fs.ErrNotExist) {
		if _, lerr := os.Lstat(cur); errors.Is(lerr, fs.ErrNotExist) {
			return nil, nil
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		target, _ := os.Readlink(cur)
		return nil, fmt.Errorf("installed driver: the %s link points at %q, which holds no %s (reinstall the driver with sakerctl driver install, or remove the link)", cur, target, MetaFile)
	}
	if err != nil {
		return nil, fmt.Errorf("installed driver: %w (reinstall it with sakerctl driver install)", err)
	}
	var inst Installed
	if err := json.Unmarshal(data, &inst); err != nil {
		return nil, fmt.Errorf("installed driver %s: %w: %v (reinstall it with sakerctl driver install)", filepath.Join(cur, MetaFile), ErrFormat, err)
	}
	target, err := filepath.EvalSymlinks(cur)
	if err != nil {
		return nil, fmt.Errorf("installed driver: %w", err)
	}
	entries, err := os.ReadDir(target)
	if err != nil {
		return nil, fmt.Errorf("installed driver: %w", err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() && e.Name() != MetaFile {
			inst.Object = filepath.Join(target, e.Name())
		}
	}
	if inst.Object == "" {
		return nil, fmt.Errorf("installed driver in %s: %w: no object file (reinstall it with sakerctl driver install)", target, ErrFormat)
	}
	return &inst, nil
}

// Source says where the loaded driver came from.
type Source string

// Driver sources.
const (
	SourceInstalled Source = "installed"
	SourceEmbedded  Source = "embedded"
)

// Selection is the outcome of [LoadDriver]: which driver runs, and why.
type Selection struct {
	Source Source
	// Reason says why the embedded driver runs (empty for an installed
	// one).
	Reason string
	// Installed is the active installed driver, if any (even when it did
	// not load).
	Installed *Installed
}

// LoadDriverOptions configure [LoadDriver].
type LoadDriverOptions struct {
	// Dir is the drivers directory; empty means /etc/falco/drivers.
	Dir string
	// Load are the options for whichever object is loaded; its Object,
	// ObjectPath and Mode are set for an installed driver.
	Load drivers.LoadOptions
	// Host overrides this host's facts (tests); nil reads them.
	Host   *Host
	Logger *slog.Logger
}

// LoadDriver loads the installed driver when there is one and it loads
// (requirements met, kernel accepts it), else the embedded object, and
// logs which and why.
func LoadDriver(opts LoadDriverOptions) (*drivers.Driver, Selection, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	sel := Selection{Source: SourceEmbedded}
	inst, err := Active(opts.Dir)
	switch {
	case err != nil:
		sel.Reason = err.Error()
	case inst == nil:
		sel.Reason = "no driver installed in " + dirOrDefault(opts.Dir)
	default:
		sel.Installed = inst
		host, herr := hostOf(opts.Host)
		if herr == nil {
			herr = host.Check(inst.Config)
		}
		if herr != nil {
			sel.Reason = fmt.Sprintf("installed driver %s %s (%s) not usable: %v", inst.Name, inst.Version, inst.Variant, herr)
			break
		}
		lo := opts.Load
		lo.Object, lo.ObjectPath, lo.Mode = nil, inst.Object, inst.Variant
		if inst.Variant == drivers.ModeTPBTF {
			// Left unforced, the loader may still switch this object to
			// its raw tracepoints if the kernel changed since the test
			// load (Attach falls back too), instead of failing the run.
			lo.Mode = ""
		}
		d, lerr := drivers.Load(lo)
		if lerr == nil {
			sel.Source = SourceInstalled
			log.Info("using the installed eBPF driver", "name", inst.Name, "version", inst.Version, "variant", inst.Variant, "object", inst.Object)
			return d, sel, nil
		}
		sel.Reason = fmt.Sprintf("installed driver %s %s (%s) did not load: %v", inst.Name, inst.Version, inst.Variant, lerr)
	}
	lo := opts.Load
	lo.Object, lo.ObjectPath = nil, ""
	d, err := drivers.Load(lo)
	if err != nil {
		return nil, sel, err
	}
	if sel.Installed != nil {
		log.Warn("using the embedded eBPF driver", "reason", sel.Reason)
	} else {
		log.Info("using the embedded eBPF driver", "reason", sel.Reason)
	}
	return d, sel, nil
}

func dirOrDefault(dir string) string {
	if dir == "" {
		return config.DefaultDriversDir
	}
	return dir
}

func hostOf(h *Host) (Host, error) {
	if h != nil {
		return *h, nil
	}
	return CurrentHost()
}
