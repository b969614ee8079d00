package artifact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/Masterminds/semver/v3"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	orasreg "oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/registry"
)

// Candidate is one manifest of a driver artifact: an architecture and
// attach variant with its config and layer.
type Candidate struct {
	Config   Config             `json:"config"`
	Platform string             `json:"platform"`
	Manifest ocispec.Descriptor `json:"manifest"`
	Layer    ocispec.Descriptor `json:"layer"`
}

// Label names the candidate in messages: "linux/amd64 tp_btf".
func (c Candidate) Label() string { return c.Platform + " " + string(c.Config.Variant) }

// Resolved is a driver artifact resolved to one tag or digest.
type Resolved struct {
	// Ref is HOST/REPO:TAG or HOST/REPO@DIGEST.
	Ref string `json:"ref"`
	// Digest is the root (image index) digest.
	Digest     string      `json:"digest"`
	Candidates []Candidate `json:"candidates"`

	repo *remote.Repository
}

// Resolve resolves raw (an index name or HOST/REPO, with :TAG, a semver
// constraint, or @DIGEST; no tag means latest, else the highest release)
// through res, and reads every manifest and config of the artifact.
func Resolve(ctx context.Context, res *artifacts.Resolver, raw string) (*Resolved, error) {
	ref, err := artifacts.ParseRef(raw)
	if err != nil {
		return nil, err
	}
	repo, _, err := res.Repo(ctx, ref)
	if err != nil {
		return nil, err
	}
	base := repo.Reference.Registry + "/" + repo.Reference.Repository
	r := &Resolved{repo: repo}
	var root ocispec.Descriptor
	if ref.Digest != "" {
		root, err = repo.Resolve(ctx, ref.Digest)
		if err != nil {
			return nil, registry.Explain(err, base+"@"+ref.Digest)
		}
		r.Ref = base + "@" + ref.Digest
	} else {
		tag, d, err := resolveTag(ctx, repo, base, ref.Tag)
		if err != nil {
			return nil, err
		}
		root, r.Ref = d, base+":"+tag
	}
	r.Digest = root.Digest.String()
	data, err := fetch(ctx, repo, root)
	if err != nil {
		return nil, registry.Explain(err, r.Ref)
	}
	var mans []ocispec.Descriptor
	switch root.MediaType {
	case ocispec.MediaTypeImageIndex:
		var idx ocispec.Index
		if err := json.Unmarshal(data, &idx); err != nil {
			return nil, fmt.Errorf("%s: %w: image index: %v", r.Ref, ErrFormat, err)
		}
		mans = idx.Manifests
	case ocispec.MediaTypeImageManifest:
		mans = []ocispec.Descriptor{root}
	default:
		return nil, fmt.Errorf("%s: %w: unsupported manifest media type %q", r.Ref, ErrFormat, root.MediaType)
	}
	for _, desc := range mans {
		c, err := readCandidate(ctx, repo, r.Ref, desc)
		if err != nil {
			return nil, err
		}
		r.Candidates = append(r.Candidates, c)
	}
	if len(r.Candidates) == 0 {
		return nil, fmt.Errorf("%s: %w: the image index lists no manifest", r.Ref, ErrFormat)
	}
	return r, nil
}

func readCandidate(ctx context.Context, repo *remote.Repository, ref string, desc ocispec.Descriptor) (Candidate, error) {
	var c Candidate
	data, err := fetch(ctx, repo, desc)
	if err != nil {
		return c, registry.Explain(err, ref)
	}
	var man ocispec.Manifest
	if err := json.Unmarshal(data, &man); err != nil {
		return c, fmt.Errorf("%s: %w: manifest %s: %v", ref, ErrFormat, desc.Digest, err)
	}
	if len(man.Layers) != 1 || man.Layers[0].MediaType != LayerMediaType || man.Config.MediaType != ConfigMediaType {
		return c, fmt.Errorf("%s: %w: manifest %s has config %q and %d layer(s); a driver has config %s and one %s layer (rulesfiles, plugins and assets install with `sakerctl artifact install`)",
			ref, ErrFormat, desc.Digest, man.Config.MediaType, len(man.Layers), ConfigMediaType, LayerMediaType)
	}
	cfgData, err := fetch(ctx, repo, man.Config)
	if err != nil {
		return c, registry.Explain(err, ref)
	}
	if err := json.Unmarshal(cfgData, &c.Config); err != nil {
		return c, fmt.Errorf("%s: %w: config of manifest %s: %v", ref, ErrFormat, desc.Digest, err)
	}
	if _, err := ParseVariant(string(c.Config.Variant)); err != nil {
		return c, fmt.Errorf("%s: %w: manifest %s: %v", ref, ErrFormat, desc.Digest, err)
	}
	if c.Config.Arch == "" {
		return c, fmt.Errorf("%s: %w: config of manifest %s names no arch", ref, ErrFormat, desc.Digest)
	}
	c.Platform = "linux/" + c.Config.Arch
	c.Manifest, c.Layer = desc, man.Layers[0]
	return c, nil
}

// resolveTag picks the tag: the tag itself when it exists, else the
// highest semver tag matching it as a constraint ("latest" falls back to
// the highest release).
func resolveTag(ctx context.Context, repo *remote.Repository, base, tag string) (string, ocispec.Descriptor, error) {
	noTag := tag == ""
	if noTag {
		tag = "latest"
	}
	isTag := (orasreg.Reference{Registry: "x", Repository: "x", Reference: tag}).ValidateReferenceAsTag() == nil
	if isTag {
		d, err := repo.Resolve(ctx, tag)
		if err == nil {
			return tag, d, nil
		}
		if err := registry.Explain(err, base+":"+tag); !errors.Is(err, registry.ErrNotFound) {
			return "", d, err
		}
	}
	if noTag {
		tag = "*"
	}
	c, cerr := semver.NewConstraint(tag)
	if cerr != nil {
		return "", ocispec.Descriptor{}, fmt.Errorf("%s:%s: %w: no such tag, and %q is not a semver constraint", base, tag, artifacts.ErrNotFound, tag)
	}
	tags, err := orasreg.Tags(ctx, repo)
	if err != nil {
		return "", ocispec.Descriptor{}, registry.Explain(err, base)
	}
	best, ok := artifacts.HighestMatching(tags, c)
	if !ok {
		return "", ocispec.Descriptor{}, fmt.Errorf("%s: %w: no version matches %q (available: %s)", base, artifacts.ErrNotFound, tag, strings.Join(artifacts.SemverTags(tags), ", "))
	}
	d, err := repo.Resolve(ctx, best)
	if err != nil {
		return "", d, registry.Explain(err, base+":"+best)
	}
	return best, d, nil
}

// fetch reads a small manifest or blob, verifying its size and digest.
func fetch(ctx context.Context, repo *remote.Repository, desc ocispec.Descriptor) ([]byte, error) {
	const maxMeta = 4 << 20
	if desc.Size > maxMeta {
		return nil, fmt.Errorf("%w: %s is %d bytes, more than the %d allowed for metadata", ErrFormat, desc.Digest, desc.Size, maxMeta)
	}
	var rc io.ReadCloser
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
		return nil, fmt.Errorf("%s: %w: %v", desc.Digest, artifacts.ErrDigestMismatch, err)
	}
	return data, nil
}
