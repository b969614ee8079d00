package artifacts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	orasreg "oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/sakersec/saker/index"
	"github.com/sakersec/saker/registry"
)

// Source opens repositories; *registry.Client is one.
type Source interface {
	Repository(ref string) (*remote.Repository, error)
}

// EntryLookup finds an artifact by name in the indexes; *index.Store is
// one. The error wraps index.ErrNotFound for unknown names.
type EntryLookup interface {
	Lookup(ctx context.Context, name string) (*index.Entry, error)
}

// Ref is a parsed artifact reference.
type Ref struct {
	// Name is the index name, empty for a full OCI reference.
	Name string
	// Repository is HOST/REPO, empty until an index name is looked up.
	Repository string
	Tag        string
	Digest     string
}

var indexNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ParseRef parses an index name, name:tag, name@digest, or a full OCI
// reference (HOST/REPO[:TAG|@DIGEST]; the first path element is a host
// when it holds a '.' or ':' or is "localhost").
func ParseRef(s string) (Ref, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Ref{}, fmt.Errorf("%w: empty artifact reference", ErrInvalid)
	}
	var r Ref
	rest := s
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		r.Digest = rest[i+1:]
		rest = rest[:i]
		if !strings.Contains(r.Digest, ":") {
			return Ref{}, fmt.Errorf("%q: %w: digest %q: want ALGORITHM:HEX", s, ErrInvalid, r.Digest)
		}
	}
	slash := strings.IndexByte(rest, '/')
	if slash > 0 && isHost(rest[:slash]) {
		repo := rest
		if c := strings.LastIndexByte(rest, ':'); c > slash {
			repo, r.Tag = rest[:c], rest[c+1:]
		}
		r.Repository = repo
		probe := repo
		if r.Digest != "" {
			probe += "@" + r.Digest
		}
		if _, err := orasreg.ParseReference(probe); err != nil {
			return Ref{}, fmt.Errorf("%q: %w: %v", s, ErrInvalid, err)
		}
		return r, nil
	}
	name := rest
	if c := strings.IndexByte(rest, ':'); c >= 0 {
		name, r.Tag = rest[:c], rest[c+1:]
	}
	if !indexNameRe.MatchString(name) {
		return Ref{}, fmt.Errorf("%q: %w: not an index name (letters, digits, '.', '_', '-') nor a full reference HOST/REPOSITORY[:TAG|@DIGEST]", s, ErrInvalid)
	}
	r.Name = name
	return r, nil
}

func isHost(s string) bool {
	return strings.ContainsAny(s, ".:") || s == "localhost"
}

// Artifact is a resolved artifact: where it lives, which manifest was
// chosen, and its config.
type Artifact struct {
	// Name is the artifact's name: the index name, else the config's
	// name, else the repository's last path element.
	Name string `json:"name"`
	// Ref is HOST/REPO:TAG of the resolved tag, or HOST/REPO@DIGEST.
	Ref        string `json:"ref"`
	Repository string `json:"repository"`
	// Requested is the tag or constraint asked for; Tag the one chosen.
	Requested string `json:"requested,omitempty"`
	Tag       string `json:"tag,omitempty"`
	// Digest is the root digest (index for plugins, else manifest).
	Digest   string `json:"digest"`
	Type     Type   `json:"type"`
	Config   Config `json:"config"`
	Platform string `json:"platform,omitempty"`
	// Platforms are those the image index offers.
	Platforms      []string           `json:"platforms,omitempty"`
	ManifestDigest string             `json:"manifestDigest"`
	Layer          ocispec.Descriptor `json:"layer"`
	// Entry is the index entry the name resolved through (nil for a full
	// reference); its Signature says how to verify the artifact.
	Entry *index.Entry `json:"-"`

	repo *remote.Repository
}

// Repo is the repository the artifact was resolved in (to read
// signatures or referrers).
func (a *Artifact) Repo() *remote.Repository { return a.repo }

// Version is the config's version, else the resolved tag.
func (a *Artifact) Version() string {
	if a.Config.Version != "" {
		return a.Config.Version
	}
	return a.Tag
}

// Resolver turns references into [Artifact]s.
type Resolver struct {
	Registry Source
	// Index resolves names; nil means only full references work.
	Index  EntryLookup
	Logger *slog.Logger
}

// ResolveOptions tune [Resolver.Resolve].
type ResolveOptions struct {
	// Platform ("linux/amd64") picks a plugin's manifest; empty means
	// the host platform.
	Platform string
}

// Repo returns the repository of a parsed reference, looking the name up
// in the indexes if needed.
func (r *Resolver) Repo(ctx context.Context, ref Ref) (*remote.Repository, string, error) {
	repo, name, _, err := r.repoEntry(ctx, ref)
	return repo, name, err
}

func (r *Resolver) repoEntry(ctx context.Context, ref Ref) (*remote.Repository, string, *index.Entry, error) {
	repoRef := ref.Repository
	name := ref.Name
	var entry *index.Entry
	if repoRef == "" {
		if r.Index == nil {
			return nil, "", nil, fmt.Errorf("%q: %w: no index is available to look the name up (use a full reference)", ref.Name, index.ErrNotFound)
		}
		e, err := r.Index.Lookup(ctx, ref.Name)
		if err != nil {
			return nil, "", nil, err
		}
		repoRef, entry = e.Ref(), e
	}
	repo, err := r.Registry.Repository(repoRef)
	if err != nil {
		return nil, "", nil, err
	}
	if name == "" {
		name = lastElem(repo.Reference.Repository)
	}
	return repo, name, entry, nil
}

func lastElem(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// Resolve resolves raw to an artifact, choosing the tag (a semver
// constraint selects the highest matching semver tag) and, for plugins,
// the platform's manifest, and reads its config.
func (r *Resolver) Resolve(ctx context.Context, raw string, opts ResolveOptions) (*Artifact, error) {
	ref, err := ParseRef(raw)
	if err != nil {
		return nil, err
	}
	repo, name, entry, err := r.repoEntry(ctx, ref)
	if err != nil {
		return nil, err
	}
	a, err := r.resolveIn(ctx, repo, ref, opts)
	if err != nil {
		return nil, err
	}
	a.Name, a.Entry = name, entry
	if ref.Name == "" && a.Config.Name != "" {
		a.Name = a.Config.Name
	}
	return a, nil
}

// resolveIn resolves ref's tag or digest in repo and reads the chosen
// manifest and config.
func (r *Resolver) resolveIn(ctx context.Context, repo *remote.Repository, ref Ref, opts ResolveOptions) (*Artifact, error) {
	base := repo.Reference.Registry + "/" + repo.Reference.Repository
	a := &Artifact{Repository: base, repo: repo}
	var root ocispec.Descriptor
	if ref.Digest != "" {
		d, err := repo.Resolve(ctx, ref.Digest)
		if err != nil {
			return nil, registry.Explain(err, base+"@"+ref.Digest)
		}
		root, a.Ref = d, base+"@"+ref.Digest
	} else {
		tag, d, err := r.resolveTag(ctx, repo, ref.Tag)
		if err != nil {
			return nil, err
		}
		root, a.Tag, a.Ref = d, tag, base+":"+tag
		a.Requested = ref.Tag
	}
	a.Digest = root.Digest.String()
	man, manDesc, err := r.pickManifest(ctx, a, root, opts.Platform)
	if err != nil {
		return nil, err
	}
	a.ManifestDigest = manDesc.Digest.String()
	if len(man.Layers) != 1 {
		return nil, fmt.Errorf("%s: %w: the manifest has %d layers, a Falco artifact has exactly one", a.Ref, ErrFormat, len(man.Layers))
	}
	a.Layer = man.Layers[0]
	t, ok := TypeFromLayer(a.Layer.MediaType)
	if !ok {
		return nil, fmt.Errorf("%s: %w: layer media type %q is not a Falco rulesfile, plugin or asset layer", a.Ref, ErrFormat, a.Layer.MediaType)
	}
	a.Type = t
	cfgData, err := fetchAll(ctx, repo, man.Config)
	if err != nil {
		return nil, registry.Explain(err, a.Ref)
	}
	if len(cfgData) > 0 {
		if err := json.Unmarshal(cfgData, &a.Config); err != nil {
			return nil, fmt.Errorf("%s: %w: config blob is not valid JSON: %v", a.Ref, ErrFormat, err)
		}
	}
	return a, nil
}

func (r *Resolver) resolveTag(ctx context.Context, repo *remote.Repository, tag string) (string, ocispec.Descriptor, error) {
	base := repo.Reference.Registry + "/" + repo.Reference.Repository
	noTag := tag == ""
	if noTag {
		tag = "latest"
	}
	validTag := (orasreg.Reference{Registry: "x", Repository: "x", Reference: tag}).ValidateReferenceAsTag() == nil
	if validTag {
		d, err := repo.Resolve(ctx, tag)
		if err == nil {
			return tag, d, nil
		}
		if err := registry.Explain(err, base+":"+tag); !errors.Is(err, registry.ErrNotFound) {
			return "", ocispec.Descriptor{}, err
		}
	}
	if noTag {
		// No tag and no "latest": the highest release is what a user
		// means.
		tag = "*"
	}
	c, cerr := parseConstraint(tag)
	if cerr != nil {
		if validTag {
			return "", ocispec.Descriptor{}, fmt.Errorf("%s:%s: %w: no such tag, and %q is not a semver constraint", base, tag, ErrNotFound, tag)
		}
		return "", ocispec.Descriptor{}, fmt.Errorf("%s: %w: %q is neither a tag nor a semver constraint (%v)", base, ErrInvalid, tag, cerr)
	}
	tags, err := orasreg.Tags(ctx, repo)
	if err != nil {
		return "", ocispec.Descriptor{}, registry.Explain(err, base)
	}
	best, ok := HighestMatching(tags, c)
	if !ok {
		avail := SemverTags(tags)
		if len(avail) == 0 {
			return "", ocispec.Descriptor{}, fmt.Errorf("%s: %w: no semver tag matches %q (the repository has no semver tags)", base, ErrNotFound, tag)
		}
		return "", ocispec.Descriptor{}, fmt.Errorf("%s: %w: no version matches %q (available: %s)", base, ErrNotFound, tag, strings.Join(avail, ", "))
	}
	if r.Logger != nil {
		r.Logger.Debug("resolved semver constraint", "repository", base, "constraint", tag, "tag", best)
	}
	d, err := repo.Resolve(ctx, best)
	if err != nil {
		return "", ocispec.Descriptor{}, registry.Explain(err, base+":"+best)
	}
	return best, d, nil
}

// pickManifest returns the image manifest of root: root itself, or the
// manifest of the requested platform when root is an image index.
func (r *Resolver) pickManifest(ctx context.Context, a *Artifact, root ocispec.Descriptor, platform string) (ocispec.Manifest, ocispec.Descriptor, error) {
	var man ocispec.Manifest
	data, err := fetchAll(ctx, a.repo, root)
	if err != nil {
		return man, root, registry.Explain(err, a.Ref)
	}
	switch root.MediaType {
	case ocispec.MediaTypeImageManifest:
		if err := json.Unmarshal(data, &man); err != nil {
			return man, root, fmt.Errorf("%s: %w: manifest: %v", a.Ref, ErrFormat, err)
		}
		return man, root, nil
	case ocispec.MediaTypeImageIndex:
	default:
		return man, root, fmt.Errorf("%s: %w: unsupported manifest media type %q", a.Ref, ErrFormat, root.MediaType)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return man, root, fmt.Errorf("%s: %w: image index: %v", a.Ref, ErrFormat, err)
	}
	if platform == "" {
		platform = runtime.GOOS + "/" + runtime.GOARCH
	}
	a.Platform = platform
	var chosen *ocispec.Descriptor
	for i, m := range idx.Manifests {
		p := platformString(m.Platform)
		a.Platforms = append(a.Platforms, p)
		if chosen == nil && (p == platform || (m.Platform != nil && m.Platform.Variant != "" && m.Platform.OS+"/"+m.Platform.Architecture == platform)) {
			chosen = &idx.Manifests[i]
		}
	}
	if chosen == nil {
		return man, root, fmt.Errorf("%s: %w: no manifest for platform %s (available: %s; choose one with --platform)", a.Ref, ErrNotFound, platform, strings.Join(a.Platforms, ", "))
	}
	mdata, err := fetchAll(ctx, a.repo, *chosen)
	if err != nil {
		return man, *chosen, registry.Explain(err, a.Ref)
	}
	if err := json.Unmarshal(mdata, &man); err != nil {
		return man, *chosen, fmt.Errorf("%s: %w: manifest for %s: %v", a.Ref, ErrFormat, platform, err)
	}
	return man, *chosen, nil
}

// fetchAll reads a small blob or manifest, verifying its size and digest.
func fetchAll(ctx context.Context, repo *remote.Repository, desc ocispec.Descriptor) ([]byte, error) {
	const maxMeta = 4 << 20
	if desc.Size > maxMeta {
		return nil, fmt.Errorf("%w: %s is %d bytes, more than the %d allowed for metadata", ErrFormat, desc.Digest, desc.Size, maxMeta)
	}
	var rc interface {
		Read([]byte) (int, error)
		Close() error
	}
	var err error
	switch desc.MediaType {
	case ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageIndex:
		rc, err = repo.Manifests().Fetch(ctx, desc)
	default:
		rc, err = repo.Blobs().Fetch(ctx, desc)
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := content.ReadAll(rc, desc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", desc.Digest, ErrDigestMismatch, err)
	}
	return data, nil
}

// Tags lists the tags of the repository raw names (its tag or digest is
// ignored), sorted semver-first, highest first.
func (r *Resolver) Tags(ctx context.Context, raw string) ([]string, string, error) {
	ref, err := ParseRef(raw)
	if err != nil {
		return nil, "", err
	}
	repo, _, err := r.Repo(ctx, ref)
	if err != nil {
		return nil, "", err
	}
	base := repo.Reference.Registry + "/" + repo.Reference.Repository
	tags, err := orasreg.Tags(ctx, repo)
	if err != nil {
		return nil, base, registry.Explain(err, base)
	}
	return SortTags(tags), base, nil
}

// FetchRoot returns the raw root manifest (or image index) raw refers to.
func (r *Resolver) FetchRoot(ctx context.Context, raw string) ([]byte, ocispec.Descriptor, error) {
	ref, err := ParseRef(raw)
	if err != nil {
		return nil, ocispec.Descriptor{}, err
	}
	repo, _, err := r.Repo(ctx, ref)
	if err != nil {
		return nil, ocispec.Descriptor{}, err
	}
	base := repo.Reference.Registry + "/" + repo.Reference.Repository
	var root ocispec.Descriptor
	if ref.Digest != "" {
		root, err = repo.Resolve(ctx, ref.Digest)
		if err != nil {
			return nil, root, registry.Explain(err, base+"@"+ref.Digest)
		}
	} else {
		_, root, err = r.resolveTag(ctx, repo, ref.Tag)
		if err != nil {
			return nil, root, err
		}
	}
	data, err := fetchAll(ctx, repo, root)
	if err != nil {
		return nil, root, registry.Explain(err, base)
	}
	return data, root, nil
}
