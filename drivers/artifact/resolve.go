package artifact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/sakersec/saker/artifacts"
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
// through res, as artifacts resolve, and reads every manifest and config
// of the artifact.
func Resolve(ctx context.Context, res *artifacts.Resolver, raw string) (*Resolved, error) {
	rt, err := res.ResolveRoot(ctx, raw)
	if err != nil {
		return nil, err
	}
	r := &Resolved{Ref: rt.Ref, Digest: rt.Desc.Digest.String(), repo: rt.Repo()}
	mans, err := rt.Manifests(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	for _, desc := range mans {
		c, err := readCandidate(ctx, rt, desc)
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

func readCandidate(ctx context.Context, rt *artifacts.Root, desc ocispec.Descriptor) (Candidate, error) {
	var c Candidate
	img, err := rt.ReadImage(ctx, desc)
	if err != nil && !errors.Is(err, artifacts.ErrFormat) {
		return c, err
	}
	if err != nil || img.Type != Type {
		why := fmt.Sprint(err)
		if err == nil {
			why = fmt.Sprintf("it holds a %s", img.Type)
		}
		return c, fmt.Errorf("%s: %w: manifest %s: %s; a driver has config %s and one %s layer (rulesfiles, plugins and assets install with `sakerctl artifact install`)",
			rt.Ref, ErrFormat, desc.Digest, why, ConfigMediaType, LayerMediaType)
	}
	if err := json.Unmarshal(img.Config, &c.Config); err != nil {
		return c, fmt.Errorf("%s: %w: config of manifest %s: %v", rt.Ref, ErrFormat, desc.Digest, err)
	}
	if _, err := ParseVariant(string(c.Config.Variant)); err != nil {
		return c, fmt.Errorf("%s: %w: manifest %s: %v", rt.Ref, ErrFormat, desc.Digest, err)
	}
	if c.Config.Arch == "" {
		return c, fmt.Errorf("%s: %w: config of manifest %s names no arch", rt.Ref, ErrFormat, desc.Digest)
	}
	c.Platform = "linux/" + c.Config.Arch
	c.Manifest, c.Layer = desc, img.Layer
	return c, nil
}
