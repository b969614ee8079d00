package artifact

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/drivers"
	"github.com/sakersec/saker/registry"
)

// PushOptions describe a driver artifact to push. Zero values are safe:
// the embedded object, this host's platform, both variants, the
// requirements of this tree's object.
type PushOptions struct {
	// Name goes into the config; empty means the repository's last path
	// element.
	Name string
	// Version is the semver version X.Y.Z (required).
	Version string
	// Files are eBPF objects: one for every platform, or one per platform
	// in the order of Platforms. Empty means the object embedded in this
	// binary (what `go generate ./drivers` builds).
	Files []string
	// Platforms are "linux/ARCH" values; empty means this host's.
	Platforms []string
	// Variants are the attach variants to publish for every platform;
	// empty means tp_btf and raw_tracepoint (one CO-RE object holds both
	// program kinds).
	Variants []drivers.Mode
	// Requirements go into every config; the zero value means
	// DefaultRequirements().
	Requirements *Requirements
	// Tags are added to the reference's own tag; FloatingTags adds X and
	// X.Y for version X.Y.Z.
	Tags         []string
	FloatingTags bool
	Logger       *slog.Logger

	// skipCheck pushes objects unchecked (tests of the install side's
	// defences).
	skipCheck bool
}

// PushResult describes a pushed driver artifact.
type PushResult struct {
	Ref      string   `json:"ref"`
	Digest   string   `json:"digest"`
	Tags     []string `json:"tags"`
	Variants []string `json:"variants"`
}

// Push packs every platform × variant as one manifest (config + one
// tar.gz layer holding the object) and pushes them under one image index,
// tagged with the reference's tag (else the version) and Tags.
func Push(ctx context.Context, repo *remote.Repository, opts PushOptions) (*PushResult, error) {
	base := repo.Reference.Registry + "/" + repo.Reference.Repository
	if _, err := artifacts.FloatingTags(opts.Version); err != nil {
		return nil, err
	}
	if opts.Name == "" {
		opts.Name = filepath.Base(repo.Reference.Repository)
	}
	tags, err := artifacts.PushTags(repo.Reference.Reference, opts.Version, opts.Tags, opts.FloatingTags)
	if err != nil {
		return nil, err
	}
	plats := opts.Platforms
	if len(plats) == 0 {
		plats = []string{"linux/" + runtime.GOARCH}
	}
	objects, err := readObjects(opts.Files, len(plats))
	if err != nil {
		return nil, err
	}
	variants := opts.Variants
	if len(variants) == 0 {
		variants = Variants
	}
	for _, v := range variants {
		if _, err := ParseVariant(string(v)); err != nil {
			return nil, err
		}
	}
	for _, obj := range objects {
		if err := checkObject(obj, variants); err != nil && !opts.skipCheck {
			return nil, err
		}
	}
	reqs := DefaultRequirements()
	if opts.Requirements != nil {
		reqs = *opts.Requirements
	}
	idx := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex}
	var labels []string
	for i, p := range plats {
		osName, arch, ok := strings.Cut(p, "/")
		if !ok || osName != "linux" || arch == "" || strings.Contains(arch, "/") {
			return nil, fmt.Errorf("--platform %q: %w: want linux/ARCH, e.g. linux/amd64", p, ErrInvalid)
		}
		if slices.Contains(plats[:i], p) {
			return nil, fmt.Errorf("--platform %q given twice: %w", p, ErrInvalid)
		}
		obj := objects[i]
		layerData, err := buildLayer(obj.name, obj.data)
		if err != nil {
			return nil, err
		}
		layer := ocispec.Descriptor{
			MediaType: LayerMediaType, Digest: digest.FromBytes(layerData), Size: int64(len(layerData)),
			Annotations: map[string]string{ocispec.AnnotationTitle: strings.TrimSuffix(obj.name, filepath.Ext(obj.name)) + ".tar.gz"},
		}
		if err := artifacts.PushBlob(ctx, repo, layer, layerData, nil, ""); err != nil {
			return nil, registry.Explain(err, base)
		}
		for _, v := range variants {
			cfg := Config{Name: opts.Name, Version: opts.Version, Arch: arch, Variant: v, Requirements: reqs}
			cfgData, err := json.Marshal(cfg)
			if err != nil {
				return nil, err
			}
			cfgDesc := ocispec.Descriptor{MediaType: ConfigMediaType, Digest: digest.FromBytes(cfgData), Size: int64(len(cfgData))}
			if err := artifacts.PushBlob(ctx, repo, cfgDesc, cfgData, nil, ""); err != nil {
				return nil, registry.Explain(err, base)
			}
			desc, err := artifacts.PushImageManifest(ctx, repo, cfgDesc, layer)
			if err != nil {
				return nil, registry.Explain(err, base)
			}
			desc.Platform = &ocispec.Platform{OS: osName, Architecture: arch}
			desc.Annotations = map[string]string{AnnotationVariant: string(v)}
			idx.Manifests = append(idx.Manifests, desc)
			labels = append(labels, p+" "+string(v))
		}
	}
	idxData, err := json.Marshal(idx)
	if err != nil {
		return nil, err
	}
	root := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromBytes(idxData), Size: int64(len(idxData))}
	if err := artifacts.PushManifest(ctx, repo, root, idxData); err != nil {
		return nil, registry.Explain(err, base)
	}
	for _, t := range tags {
		if err := repo.Tag(ctx, root, t); err != nil {
			return nil, registry.Explain(err, base+":"+t)
		}
	}
	if opts.Logger != nil {
		opts.Logger.Info("driver pushed", "ref", base+":"+tags[0], "digest", root.Digest.String(), "variants", strings.Join(labels, ", "))
	}
	return &PushResult{Ref: base + ":" + tags[0], Digest: root.Digest.String(), Tags: tags, Variants: labels}, nil
}

type object struct {
	name string
	data []byte
}

// readObjects returns one object per platform.
func readObjects(files []string, nplat int) ([]object, error) {
	if len(files) == 0 {
		out := make([]object, nplat)
		for i := range out {
			out[i] = object{ObjectName, drivers.Object()}
		}
		return out, nil
	}
	if len(files) != 1 && len(files) != nplat {
		return nil, fmt.Errorf("%w: %d object files for %d platforms: give one file for all, or one per --platform in the same order", ErrInvalid, len(files), nplat)
	}
	var objs []object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("driver object: %w", err)
		}
		objs = append(objs, object{filepath.Base(f), data})
	}
	for len(objs) < nplat {
		objs = append(objs, objs[0])
	}
	return objs, nil
}

// entryProgram is a program every object of a variant must hold.
var entryProgram = map[drivers.Mode]string{drivers.ModeTPBTF: "btf_sys_enter", drivers.ModeRawTracepoint: "raw_sys_enter"}

// checkObject refuses files that are not Saker eBPF objects with the
// programs of every variant pushed, before anything is uploaded.
func checkObject(obj object, variants []drivers.Mode) error {
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(obj.data))
	if err != nil {
		return fmt.Errorf("%s: %w: not an eBPF ELF object (%v); build one with go generate ./drivers", obj.name, ErrInvalid, err)
	}
	if spec.Maps["events"] == nil {
		return fmt.Errorf("%s: %w: no events ring buffer map; not built from drivers/bpf/saker.bpf.c", obj.name, ErrInvalid)
	}
	for _, v := range variants {
		if p := entryProgram[v]; spec.Programs[p] == nil {
			return fmt.Errorf("%s: %w: lacks the %s program %s; push it with --variant for the programs it has", obj.name, ErrInvalid, v, p)
		}
	}
	return nil
}

// buildLayer packs one file into a tar.gz with fixed metadata, so the same
// object always gives the same layer digest (shared by every variant).
func buildLayer(name string, data []byte) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
