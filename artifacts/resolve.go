package artifacts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"slices"
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
	rt, err := r.ResolveRoot(ctx, raw)
	if err != nil {
		return nil, err
	}
	a, err := r.resolveImage(ctx, rt, opts)
	if err != nil {
		return nil, err
	}
	a.Name, a.Entry = rt.Name, rt.Entry
	if rt.fullRef && a.Config.Name != "" {
		a.Name = a.Config.Name
	}
	return a, nil
}

// Root is a reference resolved to its root manifest or image index, the
// common first step of every pull: name looked up in the indexes, then the
// tag, semver constraint or digest resolved.
type Root struct {
	// Ref is HOST/REPO:TAG or HOST/REPO@DIGEST.
	Ref string
	// Repository is HOST/REPO.
	Repository string
	// Name is the reference's index name, else the repository's last
	// path element.
	Name string
	// Requested is the tag or constraint asked for; Tag the one chosen
	// (both empty for a digest).
	Requested, Tag string
	Desc           ocispec.Descriptor
	// Entry is the index entry the name resolved through (nil for a full
	// reference).
	Entry *index.Entry

	repo    *remote.Repository
	fullRef bool // raw was HOST/REPO..., not an index name
}

// Repo is the repository the root was resolved in.
func (rt *Root) Repo() *remote.Repository { return rt.repo }

// Fetch reads a manifest or small blob of the root's repository, verifying
// its size and digest; errors are explained with the root's reference.
func (rt *Root) Fetch(ctx context.Context, desc ocispec.Descriptor) ([]byte, error) {
	data, err := FetchVerified(ctx, rt.repo, desc)
	if err != nil {
		return nil, registry.Explain(err, rt.Ref)
	}
	return data, nil
}

// ResolveRoot parses raw, looks a name up in the indexes, and resolves the
// tag (a semver constraint selects the highest matching semver tag; no tag
// means latest, else the highest release) or digest.
func (r *Resolver) ResolveRoot(ctx context.Context, raw string) (*Root, error) {
	ref, err := ParseRef(raw)
	if err != nil {
		return nil, err
	}
	repo, name, entry, err := r.repoEntry(ctx, ref)
	if err != nil {
		return nil, err
	}
	rt, err := r.resolveRootIn(ctx, repo, ref)
	if err != nil {
		return nil, err
	}
	rt.Name, rt.Entry, rt.fullRef = name, entry, ref.Name == ""
	return rt, nil
}

func (r *Resolver) resolveRootIn(ctx context.Context, repo *remote.Repository, ref Ref) (*Root, error) {
	base := repo.Reference.Registry + "/" + repo.Reference.Repository
	rt := &Root{Repository: base, repo: repo}
	if ref.Digest != "" {
		d, err := repo.Resolve(ctx, ref.Digest)
		if err != nil {
			return nil, registry.Explain(err, base+"@"+ref.Digest)
		}
		rt.Desc, rt.Ref = d, base+"@"+ref.Digest
		return rt, nil
	}
	tag, d, err := r.resolveTag(ctx, repo, ref.Tag)
	if err != nil {
		return nil, err
	}
	rt.Desc, rt.Tag, rt.Ref, rt.Requested = d, tag, base+":"+tag, ref.Tag
	return rt, nil
}

// Image is one image manifest of an artifact: its single layer, the type
// the layer's media type denotes in the type table, and the config blob.
type Image struct {
	Desc     ocispec.Descriptor
	Manifest ocispec.Manifest
	Type     Type
	Layer    ocispec.Descriptor
	// Config is the raw config blob.
	Config []byte
}

// ReadImage reads the image manifest desc of rt and its config blob. The
// manifest must have one layer, whose media type and the config's are
// those of one registered type (an empty config media type is accepted,
// for falcoctl's types, which the layer alone identifies).
func (rt *Root) ReadImage(ctx context.Context, desc ocispec.Descriptor) (*Image, error) {
	data, err := rt.Fetch(ctx, desc)
	if err != nil {
		return nil, err
	}
	return rt.readImage(ctx, desc, data)
}

func (rt *Root) readImage(ctx context.Context, desc ocispec.Descriptor, data []byte) (*Image, error) {
	img := &Image{Desc: desc}
	if err := json.Unmarshal(data, &img.Manifest); err != nil {
		return nil, fmt.Errorf("%s: %w: manifest %s: %v", rt.Ref, ErrFormat, desc.Digest, err)
	}
	if len(img.Manifest.Layers) != 1 {
		return nil, fmt.Errorf("%s: %w: the manifest has %d layers, a Falco artifact has exactly one", rt.Ref, ErrFormat, len(img.Manifest.Layers))
	}
	img.Layer = img.Manifest.Layers[0]
	t, ok := TypeFromLayer(img.Layer.MediaType)
	if !ok {
		return nil, fmt.Errorf("%s: %w: layer media type %q is not a Falco rulesfile, plugin or asset layer", rt.Ref, ErrFormat, img.Layer.MediaType)
	}
	img.Type = t
	// falcoctl's types are known by their layer alone (tools have pushed
	// them with other config media types); other types need both.
	if cm := img.Manifest.Config.MediaType; !slices.Contains(Types, t) && cm != t.ConfigMediaType() {
		return nil, fmt.Errorf("%s: %w: manifest %s has a %s layer but config %q (want %s)", rt.Ref, ErrFormat, desc.Digest, t, cm, t.ConfigMediaType())
	}
	cfg, err := rt.Fetch(ctx, img.Manifest.Config)
	if err != nil {
		return nil, err
	}
	img.Config = cfg
	return img, nil
}

// resolveImage reads rt's manifest (the platform's, for an image index)
// and config.
func (r *Resolver) resolveImage(ctx context.Context, rt *Root, opts ResolveOptions) (*Artifact, error) {
	a := &Artifact{Repository: rt.Repository, Ref: rt.Ref, Tag: rt.Tag, Requested: rt.Requested, Digest: rt.Desc.Digest.String(), repo: rt.repo}
	img, err := r.pickManifest(ctx, a, rt, opts.Platform)
	if err != nil {
		return nil, err
	}
	a.ManifestDigest = img.Desc.Digest.String()
	a.Layer, a.Type = img.Layer, img.Type
	if spec, _ := LookupType(a.Type); spec.Command != "" {
		return nil, fmt.Errorf("%s: %w: a %s artifact installs with `%s`, not as files", a.Ref, ErrFormat, a.Type, spec.Command)
	}
	if len(img.Config) > 0 {
		if err := json.Unmarshal(img.Config, &a.Config); err != nil {
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

// pickManifest returns the image of rt: the root itself, or the manifest
// of the requested platform when the root is an image index.
func (r *Resolver) pickManifest(ctx context.Context, a *Artifact, rt *Root, platform string) (*Image, error) {
	data, err := rt.Fetch(ctx, rt.Desc)
	if err != nil {
		return nil, err
	}
	switch rt.Desc.MediaType {
	case ocispec.MediaTypeImageManifest:
		return rt.readImage(ctx, rt.Desc, data)
	case ocispec.MediaTypeImageIndex:
	default:
		return nil, fmt.Errorf("%s: %w: unsupported manifest media type %q", a.Ref, ErrFormat, rt.Desc.MediaType)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("%s: %w: image index: %v", a.Ref, ErrFormat, err)
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
		return nil, fmt.Errorf("%s: %w: no manifest for platform %s (available: %s; choose one with --platform)", a.Ref, ErrNotFound, platform, strings.Join(a.Platforms, ", "))
	}
	return rt.ReadImage(ctx, *chosen)
}

// Manifests lists the image manifests of rt: those of its image index, or
// the root itself when it is an image manifest.
func (rt *Root) Manifests(ctx context.Context) ([]ocispec.Descriptor, error) {
	switch rt.Desc.MediaType {
	case ocispec.MediaTypeImageManifest:
		return []ocispec.Descriptor{rt.Desc}, nil
	case ocispec.MediaTypeImageIndex:
	default:
		return nil, fmt.Errorf("%s: %w: unsupported manifest media type %q", rt.Ref, ErrFormat, rt.Desc.MediaType)
	}
	data, err := rt.Fetch(ctx, rt.Desc)
	if err != nil {
		return nil, err
	}
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("%s: %w: image index: %v", rt.Ref, ErrFormat, err)
	}
	return idx.Manifests, nil
}

// FetchVerified reads a manifest or small blob (at most 4 MiB) of repo,
// verifying its size and digest.
func FetchVerified(ctx context.Context, repo *remote.Repository, desc ocispec.Descriptor) ([]byte, error) {
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
	rt, err := r.ResolveRoot(ctx, raw)
	if err != nil {
		return nil, ocispec.Descriptor{}, err
	}
	data, err := FetchVerified(ctx, rt.repo, rt.Desc)
	if err != nil {
		return nil, rt.Desc, registry.Explain(err, rt.Repository)
	}
	return data, rt.Desc, nil
}
