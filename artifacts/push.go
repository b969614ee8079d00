package artifacts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/sakersec/saker/registry"
)

// PushOptions describe an artifact to push.
type PushOptions struct {
	Type Type
	// Files are pushed as the layer. Rulesfiles and assets: all files go
	// into one layer. Plugins: one file per platform, in the order of
	// Platforms.
	Files []string
	// Platforms ("linux/amd64") of plugin files; empty means one file for
	// the host platform.
	Platforms []string
	// Config is written to the config blob; Version is required. For
	// rulesfiles, requirements and dependencies missing here are read from
	// the YAML's required_engine_version and required_plugin_versions.
	Config Config
	// Tags are added to the reference's own tag.
	Tags []string
	// FloatingTags adds "X.Y.Z", "X" and "X.Y" for version X.Y.Z.
	FloatingTags bool
	Tracker      Tracker
	Logger       *slog.Logger
}

// PushResult describes a pushed artifact.
type PushResult struct {
	Ref       string   `json:"ref"`
	Digest    string   `json:"digest"`
	MediaType string   `json:"mediaType"`
	Type      Type     `json:"type"`
	Tags      []string `json:"tags"`
	Platforms []string `json:"platforms,omitempty"`
}

// Push packs and pushes an artifact to repo in falcoctl's format: one
// titled tar.gz layer per manifest, a config blob without annotations, and
// for plugins an image index with one manifest per platform (existing
// manifests of other platforms under the same tag are kept).
func Push(ctx context.Context, repo *remote.Repository, opts PushOptions) (*PushResult, error) {
	ref := repo.Reference.Registry + "/" + repo.Reference.Repository
	if !slices.Contains(Types, opts.Type) {
		if _, ok := LookupType(opts.Type); ok {
			return nil, fmt.Errorf("%w: Push packs rulesfiles, plugins and assets; %s artifacts are packed by their own package", ErrInvalid, opts.Type)
		}
		return nil, fmt.Errorf("%w: --type is required: rulesfile, plugin or asset", ErrInvalid)
	}
	if _, err := parseVersion(opts.Config.Version); err != nil {
		return nil, fmt.Errorf("--version %q: %w: want a semver version X.Y.Z", opts.Config.Version, ErrInvalid)
	}
	if opts.Config.Name == "" {
		opts.Config.Name = filepath.Base(repo.Reference.Repository)
	}
	tags, err := PushTags(repo.Reference.Reference, opts.Config.Version, opts.Tags, opts.FloatingTags)
	if err != nil {
		return nil, err
	}
	platforms, err := pushPlatforms(opts)
	if err != nil {
		return nil, err
	}
	if opts.Type == Rulesfile {
		if err := configFromRulesFiles(&opts.Config, opts.Files); err != nil {
			return nil, err
		}
	}
	cfgJSON, err := json.Marshal(opts.Config)
	if err != nil {
		return nil, err
	}
	cfgDesc := ocispec.Descriptor{MediaType: opts.Type.ConfigMediaType(), Digest: digest.FromBytes(cfgJSON), Size: int64(len(cfgJSON))}
	if err := PushBlob(ctx, repo, cfgDesc, cfgJSON, nil, ""); err != nil {
		return nil, registry.Explain(err, ref)
	}

	groups := [][]string{opts.Files}
	if opts.Type == Plugin {
		groups = nil
		for _, f := range opts.Files {
			groups = append(groups, []string{f})
		}
	}
	var manifests []ocispec.Descriptor
	for i, files := range groups {
		data, title, err := buildLayer(files)
		if err != nil {
			return nil, err
		}
		layer := ocispec.Descriptor{
			MediaType:   opts.Type.LayerMediaType(),
			Digest:      digest.FromBytes(data),
			Size:        int64(len(data)),
			Annotations: map[string]string{ocispec.AnnotationTitle: title},
		}
		if err := PushBlob(ctx, repo, layer, data, opts.Tracker, "push "+title); err != nil {
			return nil, registry.Explain(err, ref)
		}
		desc, err := PushImageManifest(ctx, repo, cfgDesc, layer)
		if err != nil {
			return nil, registry.Explain(err, ref)
		}
		if opts.Type == Plugin {
			os, arch, variant := splitPlatform(platforms[i])
			desc.Platform = &ocispec.Platform{OS: os, Architecture: arch, Variant: variant}
		}
		manifests = append(manifests, desc)
	}

	root := manifests[0]
	if opts.Type == Plugin {
		existing := existingIndex(ctx, repo, tags[0])
		idx := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex}
		for _, m := range existing {
			if m.Platform != nil && !slices.Contains(platforms, platformString(m.Platform)) {
				idx.Manifests = append(idx.Manifests, m)
			}
		}
		idx.Manifests = append(idx.Manifests, manifests...)
		idxJSON, err := json.Marshal(idx)
		if err != nil {
			return nil, err
		}
		root = ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromBytes(idxJSON), Size: int64(len(idxJSON))}
		if err := PushManifest(ctx, repo, root, idxJSON); err != nil {
			return nil, registry.Explain(err, ref)
		}
		platforms = nil
		for _, m := range idx.Manifests {
			platforms = append(platforms, platformString(m.Platform))
		}
	}
	for _, t := range tags {
		if err := repo.Tag(ctx, root, t); err != nil {
			return nil, registry.Explain(err, ref+":"+t)
		}
	}
	if opts.Logger != nil {
		opts.Logger.Info("artifact pushed", "ref", ref+":"+tags[0], "type", opts.Type, "digest", root.Digest.String(), "tags", strings.Join(tags, ","))
	}
	res := &PushResult{Ref: ref + ":" + tags[0], Digest: root.Digest.String(), MediaType: root.MediaType, Type: opts.Type, Tags: tags}
	if opts.Type == Plugin {
		res.Platforms = platforms
	}
	return res, nil
}

// PushTags returns the tags a push applies: the reference's own tag, then
// extra, then with floating the floating tags of version (see
// [FloatingTags]); version alone when there is none. A digest reference is
// refused.
func PushTags(refTag, version string, extra []string, floating bool) ([]string, error) {
	var tags []string
	add := func(t string) {
		if t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	if strings.HasPrefix(refTag, "sha256:") {
		return nil, fmt.Errorf("%w: push to a tag, not a digest", ErrInvalid)
	}
	add(refTag)
	for _, t := range extra {
		add(t)
	}
	if floating {
		ft, err := FloatingTags(version)
		if err != nil {
			return nil, err
		}
		for _, t := range ft {
			add(t)
		}
	}
	if len(tags) == 0 {
		add(version)
	}
	return tags, nil
}

func pushPlatforms(opts PushOptions) ([]string, error) {
	if opts.Type != Plugin {
		if len(opts.Platforms) > 0 {
			return nil, fmt.Errorf("%w: --platform applies to plugins only", ErrInvalid)
		}
		if len(opts.Files) == 0 {
			return nil, fmt.Errorf("%w: no file to push", ErrInvalid)
		}
		return nil, nil
	}
	plats := opts.Platforms
	if len(plats) == 0 {
		plats = []string{runtime.GOOS + "/" + runtime.GOARCH}
	}
	if len(plats) != len(opts.Files) {
		return nil, fmt.Errorf("%w: %d plugin files but %d --platform values: give one platform per file, in the same order", ErrInvalid, len(opts.Files), len(plats))
	}
	for i, p := range plats {
		os, arch, _ := splitPlatform(p)
		if os == "" || arch == "" {
			return nil, fmt.Errorf("%w: --platform %q: want OS/ARCH, e.g. linux/amd64", ErrInvalid, p)
		}
		if slices.Contains(plats[:i], p) {
			return nil, fmt.Errorf("%w: --platform %q given twice", ErrInvalid, p)
		}
	}
	return plats, nil
}

func configFromRulesFiles(cfg *Config, files []string) error {
	for _, f := range files {
		lower := strings.ToLower(f)
		if !strings.HasSuffix(lower, ".yaml") && !strings.HasSuffix(lower, ".yml") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := cfg.ConfigFromRules(data); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	return nil
}

func splitPlatform(p string) (os, arch, variant string) {
	parts := strings.Split(p, "/")
	switch len(parts) {
	case 2:
		return parts[0], parts[1], ""
	case 3:
		return parts[0], parts[1], parts[2]
	}
	return "", "", ""
}

func platformString(p *ocispec.Platform) string {
	if p == nil {
		return ""
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// PushBlob pushes data as desc unless the repository has it; tr, if not
// nil, reports progress under label.
func PushBlob(ctx context.Context, repo *remote.Repository, desc ocispec.Descriptor, data []byte, tr Tracker, label string) error {
	ok, err := repo.Exists(ctx, desc)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	var r io.Reader = bytes.NewReader(data)
	done := func() {}
	if tr != nil {
		r, done = tr.Track(r, desc.Size, label)
	}
	defer done()
	err = repo.Push(ctx, desc, r)
	if errors.Is(err, errdef.ErrAlreadyExists) {
		return nil
	}
	return err
}

// PushImageManifest pushes the image manifest of one config blob and one
// layer (both pushed already), the shape of every artifact, and returns its
// descriptor.
func PushImageManifest(ctx context.Context, repo *remote.Repository, config, layer ocispec.Descriptor) (ocispec.Descriptor, error) {
	man := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    config,
		Layers:    []ocispec.Descriptor{layer},
	}
	data, err := json.Marshal(man)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(data), Size: int64(len(data))}
	return desc, PushManifest(ctx, repo, desc, data)
}

// PushManifest pushes a manifest or image index; one already there is not
// an error.
func PushManifest(ctx context.Context, repo *remote.Repository, desc ocispec.Descriptor, data []byte) error {
	err := repo.Manifests().Push(ctx, desc, bytes.NewReader(data))
	if errors.Is(err, errdef.ErrAlreadyExists) {
		return nil
	}
	return err
}

// existingIndex returns the manifests of the image index tagged tag, or
// nil if there is none.
func existingIndex(ctx context.Context, repo *remote.Repository, tag string) []ocispec.Descriptor {
	desc, rc, err := repo.FetchReference(ctx, tag)
	if err != nil {
		return nil
	}
	defer rc.Close()
	if desc.MediaType != ocispec.MediaTypeImageIndex {
		return nil
	}
	data, err := content.ReadAll(rc, desc)
	if err != nil {
		return nil
	}
	var idx ocispec.Index
	if json.Unmarshal(data, &idx) != nil {
		return nil
	}
	return idx.Manifests
}
