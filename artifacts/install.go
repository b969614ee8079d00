package artifacts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/sakersec/saker/artifacts/archive"
	"github.com/sakersec/saker/index"
	"github.com/sakersec/saker/internal/version"
	"github.com/sakersec/saker/registry"
)

// Engine is what the bundled sensor provides, against which requirements
// and dependencies are checked.
type Engine struct {
	EngineVersion    string
	PluginAPIVersion string
	// Builtin maps plugins the sensor serves natively to their versions.
	Builtin map[string]string
}

// DefaultEngine describes this build's sensor.
func DefaultEngine() Engine {
	return Engine{
		EngineVersion:    version.EngineVersionSemver,
		PluginAPIVersion: version.PluginAPIVersion,
		Builtin:          version.BuiltinPlugins,
	}
}

// DefaultDirs are the install directories per registered type (Falco's
// for falcoctl's types).
func DefaultDirs() map[Type]string {
	out := map[Type]string{}
	for _, spec := range registry_.specs() {
		out[spec.Type] = spec.DefaultDir
	}
	return out
}

// InstallOptions tune [Installer.Install].
type InstallOptions struct {
	// Dirs are the destination per type; missing types use DefaultDirs.
	Dirs map[Type]string
	// AllowedTypes, if not empty, restricts the types installed
	// (dependencies included).
	AllowedTypes []Type
	// Platform picks plugin manifests; empty means the host's.
	Platform string
	// Force installs despite unmet requirements.
	Force bool
	// ResolveDeps installs the dependencies of the config layers.
	ResolveDeps bool
	// SkipBuiltinPlugins leaves out dependencies on plugins the sensor
	// serves built-in (container, k8saudit, json) instead of installing
	// them when a registry has them.
	SkipBuiltinPlugins bool
	Limits             Limits
}

// Installer installs artifacts atomically and records them in State.
type Installer struct {
	Resolver *Resolver
	State    *State
	Tracker  Tracker
	Logger   *slog.Logger
	Engine   Engine
	// Now returns the install time; nil means time.Now.
	Now func() time.Time
	// Verify, if set, is called for every artifact to install (asked for
	// or dependency) after resolution and before anything is downloaded;
	// an error stops the install. Signature verification plugs in here.
	Verify func(ctx context.Context, a *Artifact) error
}

// Installed is the outcome for one artifact.
type Installed struct {
	Record
	// RequiredBy names the artifact that pulled this one in as a
	// dependency; empty for artifacts asked for.
	RequiredBy string `json:"requiredBy,omitempty"`
}

type planned struct {
	art        *Artifact
	requiredBy string
	dir        string
	staging    string
	files      []string
	// pullOnly writes the files without recording them (registry pull).
	pullOnly bool
}

func (in *Installer) logger() *slog.Logger {
	if in.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return in.Logger
}

// Install resolves refs (and, with ResolveDeps, their dependencies),
// checks types and requirements, downloads and verifies every layer,
// extracts each into a staging directory beside its destination, and only
// then moves the files into place. Files of a previous version of the same
// artifact that the new one lacks are removed. On failure the files
// installed before are left as they were.
func (in *Installer) Install(ctx context.Context, refs []string, opts InstallOptions) ([]Installed, error) {
	if len(refs) == 0 {
		return nil, fmt.Errorf("%w: nothing to install: give a reference or set artifact.install.refs", ErrInvalid)
	}
	unlock, err := in.State.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	current, err := in.State.List()
	if err != nil {
		return nil, err
	}

	var plan []*planned
	for _, raw := range refs {
		a, err := in.Resolver.Resolve(ctx, raw, ResolveOptions{Platform: opts.Platform})
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(plan, func(p *planned) bool { return p.art.Name == a.Name }) {
			return nil, fmt.Errorf("%w: %s is asked for twice", ErrInvalid, a.Name)
		}
		if err := in.check(a, opts); err != nil {
			return nil, err
		}
		plan = append(plan, &planned{art: a})
	}
	if opts.ResolveDeps {
		for i := 0; i < len(plan); i++ {
			for _, dep := range plan[i].art.Config.Dependencies {
				a, err := in.resolveDep(ctx, dep, plan[i].art.Name, plan, current, opts)
				if err != nil {
					return nil, err
				}
				if a != nil {
					plan = append(plan, &planned{art: a, requiredBy: plan[i].art.Name})
				}
			}
		}
	}

	if in.Verify != nil {
		for _, p := range plan {
			if err := in.Verify(ctx, p.art); err != nil {
				return nil, err
			}
		}
	}
	defer func() {
		for _, p := range plan {
			if p.staging != "" {
				_ = os.RemoveAll(p.staging)
			}
		}
	}()
	for _, p := range plan {
		if err := in.stage(ctx, p, opts); err != nil {
			return nil, err
		}
	}
	if err := checkOwnership(plan, current); err != nil {
		return nil, err
	}
	var out []Installed
	for _, p := range plan {
		rec, err := in.commit(p, current)
		if err != nil {
			return out, err
		}
		out = append(out, Installed{Record: rec, RequiredBy: p.requiredBy})
	}
	return out, nil
}

// checkOwnership refuses to let one artifact overwrite a file that another
// installed (or planned) artifact owns: uninstalling either would then
// break the other.
func checkOwnership(plan []*planned, current []Record) error {
	owner := map[string]string{}
	for _, r := range current {
		for _, f := range r.Files {
			owner[f] = r.Name
		}
	}
	for _, p := range plan {
		for _, rel := range p.files {
			dst := filepath.Join(p.dir, filepath.FromSlash(rel))
			if o, ok := owner[dst]; ok && o != p.art.Name {
				return fmt.Errorf("%s: %w: %s belongs to the installed artifact %s (uninstall it first, or install into another directory)", p.art.Ref, ErrInvalid, dst, o)
			}
			owner[dst] = p.art.Name
		}
	}
	return nil
}

// check enforces the allowed types and the requirements.
func (in *Installer) check(a *Artifact, opts InstallOptions) error {
	if len(opts.AllowedTypes) > 0 && !slices.Contains(opts.AllowedTypes, a.Type) {
		var names []string
		for _, t := range opts.AllowedTypes {
			names = append(names, string(t))
		}
		return fmt.Errorf("%s is a %s: %w (allowed: %s; see --allowed-types or artifact.allowedTypes)", a.Ref, a.Type, ErrNotAllowed, strings.Join(names, ", "))
	}
	for _, req := range a.Config.Requirements {
		var have string
		switch req.Name {
		case RequirementEngine:
			have = in.Engine.EngineVersion
		case RequirementPluginAPI:
			have = in.Engine.PluginAPIVersion
		default:
			in.logger().Warn("unknown requirement not checked", "artifact", a.Ref, "requirement", req.Name, "version", req.Version)
			continue
		}
		if Compatible(have, req.Version) {
			continue
		}
		if opts.Force {
			in.logger().Warn("installing despite unmet requirement (--force)", "artifact", a.Ref, "requirement", req.Name, "required", req.Version, "provided", have)
			continue
		}
		return fmt.Errorf("%s: %w: needs %s %s, this sensor provides %s (pick another version, or --force to install anyway)", a.Ref, ErrRequirement, req.Name, req.Version, have)
	}
	return nil
}

// resolveDep returns the artifact to install for dep, or nil when it is
// already satisfied: by a built-in plugin, by an artifact in this install,
// or by an installed compatible version (which is never downgraded).
func (in *Installer) resolveDep(ctx context.Context, dep Dependency, of string, plan []*planned, current []Record, opts InstallOptions) (*Artifact, error) {
	cands := []Alternative{{Name: dep.Name, Version: dep.Version}}
	cands = append(cands, dep.Alternatives...)
	log := in.logger()
	// A plugin the sensor serves built-in is still installed when a registry
	// has it, so the same layout works for Falco itself (sakerctl as a
	// falcoctl drop-in); when none has it, or with SkipBuiltinPlugins, the
	// built-in source satisfies the dependency.
	builtin := func() bool {
		for _, c := range cands {
			if v, ok := in.Engine.Builtin[c.Name]; ok {
				log.Info("dependency served by the sensor's built-in plugin, not downloaded", "artifact", of, "dependency", c.Name, "required", c.Version, "builtin", v)
				return true
			}
		}
		return false
	}
	if opts.SkipBuiltinPlugins && builtin() {
		return nil, nil
	}
	for _, c := range cands {
		for _, p := range plan {
			if p.art.Name == c.Name && Compatible(p.art.Version(), c.Version) {
				return nil, nil
			}
		}
	}
	for _, p := range plan {
		if p.art.Name == dep.Name {
			return nil, fmt.Errorf("%s needs %s %s (same major, not older), but %s %s is being installed: %w: install compatible versions together", of, dep.Name, dep.Version, p.art.Name, p.art.Version(), ErrInvalid)
		}
	}
	for _, c := range cands {
		for _, r := range current {
			if r.Name == c.Name && Compatible(r.Version, c.Version) {
				log.Info("dependency already installed at a compatible version, kept", "artifact", of, "dependency", c.Name, "required", c.Version, "installed", r.Version)
				return nil, nil
			}
		}
	}
	var errs []string
	for _, c := range cands {
		v, err := parseVersion(c.Version)
		if err != nil {
			return nil, fmt.Errorf("%s: dependency %s: %w: version %q is not semver", of, c.Name, ErrInvalid, c.Version)
		}
		constraint := fmt.Sprintf(">=%s <%d.0.0", v, v.Major()+1)
		a, err := in.Resolver.Resolve(ctx, c.Name+":"+constraint, ResolveOptions{Platform: opts.Platform})
		if err != nil {
			errs = append(errs, err.Error())
			if errors.Is(err, index.ErrNotFound) || errors.Is(err, ErrNotFound) || errors.Is(err, registry.ErrNotFound) {
				continue
			}
			return nil, fmt.Errorf("dependency %s of %s: %w", c.Name, of, err)
		}
		if err := in.check(a, opts); err != nil {
			return nil, fmt.Errorf("dependency %s of %s: %w", c.Name, of, err)
		}
		log.Info("installing dependency", "artifact", of, "dependency", a.Name, "required", c.Version, "version", a.Version())
		return a, nil
	}
	if builtin() {
		return nil, nil
	}
	return nil, fmt.Errorf("dependency %s:%s of %s cannot be resolved: %s (install it yourself, or pass --resolve-deps=false)", dep.Name, dep.Version, of, strings.Join(errs, "; "))
}

// stage downloads p's layer into a staging directory beside its
// destination, verifying size and digest while it streams, and extracts it
// there.
func (in *Installer) stage(ctx context.Context, p *planned, opts InstallOptions) error {
	a := p.art
	dir := opts.Dirs[a.Type]
	if dir == "" {
		dir = DefaultDirs()[a.Type]
	}
	st, err := StageLayer(ctx, a.repo, a.Ref, a.Layer, dir, StageOptions{
		Limits: opts.Limits, Tracker: in.Tracker, Label: "pull " + a.Name, Logger: in.logger(), What: string(a.Type),
	})
	if st != nil {
		p.dir, p.staging, p.files = st.Dest, st.Dir, st.Files
	}
	return err
}

// StageOptions tune [StageLayer]. The zero value is safe: default limits,
// no progress, no logs.
type StageOptions struct {
	Limits  Limits
	Tracker Tracker
	// Label names the transfer in progress output.
	Label  string
	Logger *slog.Logger
	// What names the destination in errors ("rulesfile directory");
	// empty means "destination".
	What string
}

// Staged is a layer downloaded, verified and extracted into a staging
// directory inside its destination, ready to be renamed into place.
type Staged struct {
	// Dest is the destination directory, absolute.
	Dest string
	// Dir is the staging directory; the caller removes it when done.
	Dir string
	// Root holds the extracted files.
	Root string
	// Files are the extracted regular files, slash-separated and
	// relative to Root.
	Files []string
}

// StageLayer downloads layer from repo (ref names it in errors) into a
// staging directory created inside dest, so that the final renames stay on
// one filesystem, verifying size and digest while it streams, and extracts
// it with [archive.Extract] under opts.Limits. Staging directories that an
// interrupted install left in dest are removed first. On error the
// returned Staged (when not nil) still names the staging directory to
// remove.
func StageLayer(ctx context.Context, repo *remote.Repository, ref string, layer ocispec.Descriptor, dest string, opts StageOptions) (*Staged, error) {
	what := opts.What
	if what == "" {
		what = "destination"
	} else {
		what += " directory"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(dest)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	st := &Staged{Dest: dir}
	limits := opts.Limits.WithDefaults()
	if layer.Size > limits.MaxTotalSize {
		return st, fmt.Errorf("%s: %w: layer is %d bytes, over the %d-byte limit", ref, ErrUnsafeArchive, layer.Size, limits.MaxTotalSize)
	}
	removeStaleStaging(dir, log)
	st.Dir, err = os.MkdirTemp(dir, stagingPrefix)
	if err != nil {
		return st, fmt.Errorf("%s: %w", what, err)
	}
	blob := filepath.Join(st.Dir, "layer.tar.gz")
	if err := DownloadLayer(ctx, repo, ref, layer, blob, opts.Tracker, opts.Label); err != nil {
		return st, err
	}
	f, err := os.Open(blob)
	if err != nil {
		return st, err
	}
	defer f.Close()
	st.Root = filepath.Join(st.Dir, "root")
	if err := os.Mkdir(st.Root, 0o755); err != nil {
		return st, err
	}
	st.Files, err = archive.Extract(f, st.Root, limits)
	if err != nil {
		return st, fmt.Errorf("%s: layer %s: %w", ref, layer.Digest, err)
	}
	return st, nil
}

// DownloadLayer streams layer from repo into a new file at path, verifying
// its size and digest on the way; a mismatch wraps [ErrDigestMismatch].
// tr, if not nil, reports progress under label.
func DownloadLayer(ctx context.Context, repo *remote.Repository, ref string, layer ocispec.Descriptor, path string, tr Tracker, label string) error {
	rc, err := repo.Blobs().Fetch(ctx, layer)
	if err != nil {
		return registry.Explain(err, ref)
	}
	defer rc.Close()
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	verifier := layer.Digest.Verifier()
	var r io.Reader = io.LimitReader(rc, layer.Size+1)
	done := func() {}
	if tr != nil {
		r, done = tr.Track(r, layer.Size, label)
	}
	n, err := io.Copy(io.MultiWriter(out, verifier), r)
	done()
	if err != nil {
		return fmt.Errorf("%s: downloading layer %s: %w", ref, layer.Digest, err)
	}
	if n != layer.Size || !verifier.Verified() {
		return fmt.Errorf("%s: layer %s: %w: received %d bytes that do not hash to the manifest's digest (%d bytes); nothing was installed", ref, layer.Digest, ErrDigestMismatch, n, layer.Size)
	}
	return nil
}

const stagingPrefix = ".sakerctl-staging-"

// removeStaleStaging deletes staging directories that a killed install
// left behind. Installs hold the state lock, so an old one is not in use.
func removeStaleStaging(dir string, log *slog.Logger) {
	matches, _ := filepath.Glob(filepath.Join(dir, stagingPrefix+"*"))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && fi.IsDir() && time.Since(fi.ModTime()) > 10*time.Minute {
			if os.RemoveAll(m) == nil {
				log.Info("removed a staging directory left by an interrupted install", "dir", m)
			}
		}
	}
}

type move struct {
	dst, backup string
}

// commit moves p's staged files into place, backing up the files they
// replace so that any failure restores them, records the install, and
// removes files of the previous version that the new one lacks.
func (in *Installer) commit(p *planned, current []Record) (Record, error) {
	a := p.art
	var moved []move
	rollback := func() {
		for i := len(moved) - 1; i >= 0; i-- {
			m := moved[i]
			if m.backup != "" {
				_ = os.Rename(m.backup, m.dst)
			} else {
				_ = os.Remove(m.dst)
			}
		}
	}
	backupRoot := filepath.Join(p.staging, "backup")
	var abs []string
	dirs := map[string]bool{}
	for _, rel := range p.files {
		src := filepath.Join(p.staging, "root", filepath.FromSlash(rel))
		dst := filepath.Join(p.dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			rollback()
			return Record{}, err
		}
		m := move{dst: dst}
		if fi, err := os.Lstat(dst); err == nil {
			if fi.IsDir() {
				rollback()
				return Record{}, fmt.Errorf("%s: cannot install %s: a directory is in the way", a.Ref, dst)
			}
			m.backup = filepath.Join(backupRoot, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(m.backup), 0o700); err != nil {
				rollback()
				return Record{}, err
			}
			// A hard link keeps the old file at dst until the rename below
			// replaces it in one step, so readers (a reloading sensor)
			// never see it missing. Without hard links, move it aside.
			if err := os.Link(dst, m.backup); err != nil {
				if err := os.Rename(dst, m.backup); err != nil {
					rollback()
					return Record{}, fmt.Errorf("%s: %w", dst, err)
				}
			}
		}
		if err := SyncFile(src); err != nil {
			rollback()
			return Record{}, fmt.Errorf("%s: %w", src, err)
		}
		if err := os.Rename(src, dst); err != nil {
			if m.backup != "" {
				_ = os.Rename(m.backup, dst)
			}
			rollback()
			return Record{}, fmt.Errorf("%s: %w", dst, err)
		}
		moved = append(moved, m)
		abs = append(abs, dst)
		dirs[filepath.Dir(dst)] = true
	}
	for d := range dirs {
		SyncDir(d)
	}
	now := time.Now
	if in.Now != nil {
		now = in.Now
	}
	rec := Record{
		Name: a.Name, Ref: a.Ref, Version: a.Version(), Digest: a.Digest, Type: a.Type,
		Platform: a.Platform, Dir: p.dir, Files: abs, InstalledAt: now().UTC(),
	}
	if p.pullOnly {
		return rec, nil
	}
	if err := in.State.Put(rec); err != nil {
		rollback()
		return Record{}, err
	}
	for _, old := range current {
		if old.Name != a.Name {
			continue
		}
		for _, f := range old.Files {
			if slices.Contains(abs, f) {
				continue
			}
			if err := os.Remove(f); err == nil {
				in.logger().Info("removed file of the previous version", "artifact", a.Name, "file", f, "previous", old.Version)
			} else if !errors.Is(err, os.ErrNotExist) {
				in.logger().Warn("cannot remove file of the previous version", "artifact", a.Name, "file", f, "error", err)
			}
		}
	}
	in.logger().Info("artifact installed", "artifact", a.Name, "ref", a.Ref, "version", rec.Version, "type", a.Type, "dir", p.dir)
	return rec, nil
}

// SyncFile flushes a staged file to disk before it is renamed into place,
// so a crash never leaves a renamed but empty file.
func SyncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// SyncDir flushes a directory's entries (renames into it) to disk, best
// effort.
func SyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// Pull downloads the artifact raw and extracts its files into dest,
// atomically as Install does, without recording it in the state store.
func (in *Installer) Pull(ctx context.Context, raw, dest string, opts InstallOptions) (Record, error) {
	a, err := in.Resolver.Resolve(ctx, raw, ResolveOptions{Platform: opts.Platform})
	if err != nil {
		return Record{}, err
	}
	p := &planned{art: a, pullOnly: true}
	opts.Dirs = map[Type]string{a.Type: dest}
	defer func() {
		if p.staging != "" {
			_ = os.RemoveAll(p.staging)
		}
	}()
	if err := in.stage(ctx, p, opts); err != nil {
		return Record{}, err
	}
	return in.commit(p, nil)
}

// Uninstall removes the files of the installed artifact name and its
// record.
func (in *Installer) Uninstall(name string) (*Record, error) {
	unlock, err := in.State.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	rec, err := in.State.Get(name)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, fmt.Errorf("%s: %w (see `sakerctl artifact list --installed`)", name, ErrNotInstalled)
	}
	if spec, _ := LookupType(rec.Type); spec.Uninstall != nil {
		if err := spec.Uninstall(*rec, in.logger()); err != nil {
			return nil, err
		}
	} else {
		for _, f := range rec.Files {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("removing %s: %w", f, err)
			}
		}
	}
	if err := in.State.Delete(name); err != nil {
		return nil, err
	}
	in.logger().Info("artifact uninstalled", "artifact", name, "files", len(rec.Files))
	return rec, nil
}
