package artifact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/drivers"
	"github.com/sakersec/saker/internal/config"
)

// Layout of the drivers directory.
const (
	// CurrentLink is the symlink naming the active driver's directory;
	// activation replaces it in one rename.
	CurrentLink = "current"
	// MetaFile, beside the object, describes the installed driver.
	MetaFile      = "driver.json"
	stagingPrefix = ".staging-"
)

// DefaultRef is what `sakerctl driver install` installs without a
// reference: an index entry of that name.
const DefaultRef = "saker-driver"

// InstallOptions tune [Install].
type InstallOptions struct {
	// Dir is the drivers directory; empty means /etc/falco/drivers.
	Dir string
	// State records the install; nil records nothing.
	State *artifacts.State
	// Host overrides this host's facts (tests); nil reads them.
	Host *Host
	// Variant, if set, installs only that attach variant.
	Variant drivers.Mode
	// TestLoad loads the object at path as variant into the kernel and
	// unloads it; nil means [TestLoad]. An error refuses the candidate.
	TestLoad func(path string, variant drivers.Mode) error
	Logger   *slog.Logger
}

// Installed describes the active driver (the driver.json beside it).
type Installed struct {
	Config
	Ref         string    `json:"ref"`
	Digest      string    `json:"digest"`
	LayerDigest string    `json:"layerDigest"`
	InstalledAt time.Time `json:"installedAt"`
	// Object is the object file's absolute path (not stored).
	Object string `json:"-"`
}

// Install resolves raw, picks the variants this host can run (see
// [Choose]), downloads and verifies each in turn, test-loads it, and
// activates the first that loads. A refused driver leaves the active one
// as it was.
func Install(ctx context.Context, res *artifacts.Resolver, raw string, opts InstallOptions) (*Installed, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir := opts.Dir
	if dir == "" {
		dir = config.DefaultDriversDir
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	var host Host
	if opts.Host != nil {
		host = *opts.Host
	} else if host, err = CurrentHost(); err != nil {
		return nil, err
	}
	testLoad := opts.TestLoad
	if testLoad == nil {
		testLoad = TestLoad
	}
	if opts.State != nil {
		unlock, err := opts.State.Lock()
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	r, err := Resolve(ctx, res, raw)
	if err != nil {
		return nil, err
	}
	all := r.Candidates
	if opts.Variant != "" {
		all = nil
		for _, c := range r.Candidates {
			if c.Config.Variant == opts.Variant {
				all = append(all, c)
			}
		}
		if len(all) == 0 {
			var avail []string
			for _, c := range r.Candidates {
				avail = append(avail, c.Label())
			}
			return nil, fmt.Errorf("%s: %w: no %s variant (available: %s)", r.Ref, ErrNoVariant, opts.Variant, strings.Join(avail, ", "))
		}
	}
	cands, err := Choose(all, host)
	if err != nil {
		return nil, fmt.Errorf("%s refused, the active driver is unchanged: %w", r.Ref, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("drivers directory: %w", err)
	}
	removeStaleStaging(dir, log)
	var errs []error
	for _, c := range cands {
		st, err := artifacts.StageLayer(ctx, r.repo, r.Ref, c.Layer, dir, artifacts.StageOptions{Limits: objectLimits, Logger: log, What: "drivers"})
		var inst *Installed
		if err == nil {
			inst, err = describe(r, c, st)
		}
		if err == nil {
			if err = testLoad(inst.Object, c.Config.Variant); err != nil {
				err = fmt.Errorf("%w: %v", ErrTestLoad, err)
			}
		}
		if err == nil {
			err = activate(dir, st.Root, inst, opts.State, log)
			removeStaging(st)
			if err != nil {
				return nil, err
			}
			log.Info("driver installed", "ref", r.Ref, "version", inst.Version, "variant", inst.Variant, "object", inst.Object)
			return inst, nil
		}
		removeStaging(st)
		log.Warn("driver variant refused", "ref", r.Ref, "variant", c.Label(), "err", err)
		errs = append(errs, fmt.Errorf("%s: %w", c.Label(), err))
	}
	return nil, fmt.Errorf("%s refused, the active driver is unchanged: %w", r.Ref, errors.Join(errs...))
}

// objectLimits bound a driver layer: one object file.
var objectLimits = artifacts.Limits{MaxFileSize: 64 << 20, MaxTotalSize: 64 << 20, MaxEntries: 16}

func removeStaging(st *artifacts.Staged) {
	if st != nil && st.Dir != "" {
		_ = os.RemoveAll(st.Dir)
	}
}

// describe checks that the staged layer holds one object file at its root
// and writes the metadata beside it.
func describe(r *Resolved, c Candidate, st *artifacts.Staged) (*Installed, error) {
	files := st.Files
	if len(files) != 1 || strings.Contains(files[0], "/") || files[0] == MetaFile {
		return nil, fmt.Errorf("layer %s: %w: want exactly one object file at the archive root, found %q", c.Layer.Digest, ErrFormat, files)
	}
	inst := &Installed{
		Config: c.Config, Ref: r.Ref, Digest: r.Digest, LayerDigest: c.Layer.Digest.String(),
		InstalledAt: time.Now().UTC(), Object: filepath.Join(st.Root, files[0]),
	}
	meta, err := json.MarshalIndent(inst, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(st.Root, MetaFile), append(meta, '\n'), 0o644); err != nil {
		return nil, err
	}
	for _, p := range []string{inst.Object, filepath.Join(st.Root, MetaFile)} {
		if err := artifacts.SyncFile(p); err != nil {
			return nil, err
		}
	}
	return inst, nil
}

// activate renames the staging directory to its final name and points
// CurrentLink at it in one rename, records the install, and removes the
// directories of drivers installed before.
func activate(dir, staging string, inst *Installed, state *artifacts.State, log *slog.Logger) error {
	name := fmt.Sprintf("%s-%s-%s-%s", inst.Name, inst.Version, inst.Variant, strings.TrimPrefix(inst.LayerDigest, "sha256:")[:12])
	name = strings.NewReplacer("/", "_", "..", "_").Replace(name)
	final := filepath.Join(dir, name)
	link := filepath.Join(dir, CurrentLink)
	prev, _ := os.Readlink(link)
	if prev == name {
		// Reinstalling the active driver: the same layer digest, so the
		// same bytes; move the old copy aside instead of replacing the
		// directory the link points at.
		aside := staging + ".old"
		if err := os.Rename(final, aside); err != nil {
			return err
		}
		defer os.RemoveAll(aside)
		if err := os.Rename(staging, final); err != nil {
			_ = os.Rename(aside, final)
			return err
		}
	} else {
		_ = os.RemoveAll(final)
		if err := os.Rename(staging, final); err != nil {
			return err
		}
	}
	tmp := filepath.Join(dir, stagingPrefix+"link-"+name)
	_ = os.Remove(tmp)
	if err := os.Symlink(name, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, link); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	artifacts.SyncDir(dir)
	inst.Object = filepath.Join(final, filepath.Base(inst.Object))
	if state != nil {
		rec := artifacts.Record{
			Name: inst.Name, Ref: inst.Ref, Version: inst.Version, Digest: inst.Digest, Type: Type,
			Platform: "linux/" + inst.Arch + " " + string(inst.Variant), Dir: dir,
			Files: []string{inst.Object, filepath.Join(final, MetaFile)}, InstalledAt: inst.InstalledAt,
		}
		if err := state.Put(rec); err != nil {
			rollback(dir, link, prev, log)
			return err
		}
		if recs, err := state.List(); err == nil {
			for _, old := range recs {
				if old.Type == Type && old.Name != inst.Name {
					_ = state.Delete(old.Name)
				}
			}
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() && e.Name() != name && !strings.HasPrefix(e.Name(), ".") {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), MetaFile)); err == nil {
				if err := os.RemoveAll(filepath.Join(dir, e.Name())); err == nil {
					log.Info("removed the previous driver", "dir", filepath.Join(dir, e.Name()))
				}
			}
		}
	}
	return nil
}

// removeStaleStaging deletes what an install killed midway left behind
// (staging directories, temporary links); a running install's are young.
func removeStaleStaging(dir string, log *slog.Logger) {
	matches, _ := filepath.Glob(filepath.Join(dir, stagingPrefix+"*"))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && time.Since(fi.ModTime()) > 10*time.Minute {
			if os.RemoveAll(m) == nil {
				log.Info("removed what an interrupted driver install left", "path", m)
			}
		}
	}
}

// rollback points the link back at the previous driver.
func rollback(dir, link, prev string, log *slog.Logger) {
	if prev == "" {
		_ = os.Remove(link)
		return
	}
	tmp := filepath.Join(dir, stagingPrefix+"link-rollback")
	_ = os.Remove(tmp)
	if err := os.Symlink(prev, tmp); err == nil && os.Rename(tmp, link) == nil {
		return
	}
	log.Error("could not restore the previous driver link", "link", link, "target", prev)
}

// TestLoad loads the object at path with the given variant's programs,
// attaches them and unloads everything: the kernel's verifier and the
// attach points are what decide whether a driver runs here.
func TestLoad(path string, variant drivers.Mode) error {
	return testLoad(drivers.LoadOptions{ObjectPath: path, Mode: variant})
}

func testLoad(lo drivers.LoadOptions) error {
	lo.RingBufferSize = 1 << 20
	lo.Logger = slog.New(slog.DiscardHandler)
	d, err := drivers.Load(lo)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Attach()
}

// uninstall removes an installed driver for `sakerctl artifact uninstall`
// (artifacts' type table calls it under the install state's lock): first
// the CurrentLink when it names this driver, so that no reader follows it
// into a half-removed directory and the sensor falls back to the embedded
// object, then the files and their directory.
func uninstall(rec artifacts.Record, log *slog.Logger) error {
	if len(rec.Files) == 0 {
		return nil
	}
	dir := filepath.Dir(rec.Files[0])
	link := filepath.Join(rec.Dir, CurrentLink)
	if target, err := os.Readlink(link); err == nil && filepath.Join(rec.Dir, target) == dir {
		if err := os.Remove(link); err != nil {
			return fmt.Errorf("removing the active driver link: %w", err)
		}
		artifacts.SyncDir(rec.Dir)
		log.Info("removed the active driver: the sensor loads its embedded driver from its next start", "link", link, "driver", rec.Name, "version", rec.Version)
	}
	for _, f := range rec.Files {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing %s: %w", f, err)
		}
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		log.Warn("driver directory not removed", "dir", dir, "error", err)
	}
	return nil
}
