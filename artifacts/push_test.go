package artifacts

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/memory"

	"github.com/sakersec/saker/internal/testregistry"
	"github.com/sakersec/saker/registry"
)

func testClient(t testing.TB) (*testregistry.Registry, *registry.Client) {
	t.Helper()
	reg := testregistry.New(t, testregistry.Options{})
	c, err := registry.New(registry.Options{PlainHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	return reg, c
}

func fetchJSON(t *testing.T, c *registry.Client, ref string, desc ocispec.Descriptor, v any) {
	t.Helper()
	repo, err := c.Repository(ref)
	if err != nil {
		t.Fatal(err)
	}
	data, err := FetchVerified(context.Background(), repo, desc)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

// TestPushFormatMatchesFalcoctl checks the wire format: media types, one
// titled layer, a config without annotations, files at the archive root,
// and an image index for plugins even with one platform.
func TestPushFormatMatchesFalcoctl(t *testing.T) {
	ctx := context.Background()
	reg, c := testClient(t)
	dir := t.TempDir()
	rules := filepath.Join(dir, "sub", "my_rules.yaml")
	_ = os.MkdirAll(filepath.Dir(rules), 0o755)
	_ = os.WriteFile(rules, []byte("- required_engine_version: 12\n"), 0o644)

	repo, _ := c.Repository(reg.Ref("rules/my", "1.0.0"))
	res, err := Push(ctx, repo, PushOptions{Type: Rulesfile, Files: []string{rules}, Config: Config{Version: "1.0.0"}, FloatingTags: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.MediaType != ocispec.MediaTypeImageManifest || len(res.Tags) != 3 {
		t.Fatalf("push result %+v", res)
	}
	r := &Resolver{Registry: c}
	a, err := r.Resolve(ctx, reg.Ref("rules/my", "1"), ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var man ocispec.Manifest
	mdesc, err := a.repo.Resolve(ctx, a.ManifestDigest)
	if err != nil {
		t.Fatal(err)
	}
	fetchJSON(t, c, a.Ref, mdesc, &man)
	if man.Config.MediaType != RulesfileConfigMediaType || len(man.Config.Annotations) != 0 {
		t.Errorf("config descriptor %+v: want %s without annotations", man.Config, RulesfileConfigMediaType)
	}
	if len(man.Layers) != 1 || man.Layers[0].MediaType != RulesfileLayerMediaType || man.Layers[0].Annotations[ocispec.AnnotationTitle] != "my_rules.tar.gz" {
		t.Errorf("layers %+v", man.Layers)
	}
	if a.Config.Name != "my" || a.Config.Version != "1.0.0" || len(a.Config.Requirements) != 1 || a.Config.Requirements[0].Version != "0.12.0" {
		t.Errorf("config %+v", a.Config)
	}
	var layer bytes.Buffer
	rc, err := a.repo.Blobs().Fetch(ctx, a.Layer)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(&layer, rc)
	rc.Close()
	zr, err := gzip.NewReader(&layer)
	if err != nil {
		t.Fatal(err)
	}
	hdr, err := tar.NewReader(zr).Next()
	if err != nil || hdr.Name != "my_rules.yaml" {
		t.Errorf("first tar entry %v, %v: want my_rules.yaml at the root", hdr, err)
	}

	// A plugin is an image index, even for one platform.
	so := filepath.Join(dir, "libp.so")
	_ = os.WriteFile(so, []byte("elf"), 0o644)
	prepo, _ := c.Repository(reg.Ref("plugins/p", "0.1.0"))
	pres, err := Push(ctx, prepo, PushOptions{Type: Plugin, Files: []string{so}, Platforms: []string{"linux/arm64"}, Config: Config{Version: "0.1.0"}})
	if err != nil {
		t.Fatal(err)
	}
	if pres.MediaType != ocispec.MediaTypeImageIndex || len(pres.Platforms) != 1 {
		t.Fatalf("plugin push result %+v", pres)
	}
	// Pushing another platform under the same tag keeps the first one.
	pres, err = Push(ctx, prepo, PushOptions{Type: Plugin, Files: []string{so}, Platforms: []string{"linux/amd64"}, Config: Config{Version: "0.1.0"}})
	if err != nil || len(pres.Platforms) != 2 {
		t.Fatalf("second platform: %+v, %v", pres, err)
	}
	pa, err := r.Resolve(ctx, reg.Ref("plugins/p", "0.1.0"), ResolveOptions{Platform: "linux/arm64"})
	if err != nil || pa.Type != Plugin || pa.Layer.Annotations[ocispec.AnnotationTitle] != "libp.tar.gz" {
		t.Fatalf("resolve plugin: %+v, %v", pa, err)
	}
}

// TestInstallsFalcoctlStyleArtifact installs an artifact packed the way
// falcoctl packs one (oras.Pack with its created annotation, a titled
// layer holding the file at the archive root) to prove the other
// direction of compatibility.
func TestInstallsFalcoctlStyleArtifact(t *testing.T) {
	ctx := context.Background()
	reg, c := testClient(t)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	body := []byte("- rule: x\n")
	_ = tw.WriteHeader(&tar.Header{Name: "falco_rules.yaml", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
	_, _ = tw.Write(body)
	_ = tw.Close()
	_ = zw.Close()

	store := memory.New()
	push := func(mt string, data []byte, ann map[string]string) ocispec.Descriptor {
		d := ocispec.Descriptor{MediaType: mt, Digest: digestOf(data), Size: int64(len(data)), Annotations: ann}
		if err := store.Push(ctx, d, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		return d
	}
	layer := push(RulesfileLayerMediaType, buf.Bytes(), map[string]string{ocispec.AnnotationTitle: "falco_rules.tar.gz"})
	cfg := push(RulesfileConfigMediaType, []byte(`{"name":"falco-rules","version":"3.0.0","requirements":[{"name":"engine_version_semver","version":"0.31.0"}]}`), nil)
	man, err := oras.Pack(ctx, store, "", []ocispec.Descriptor{layer}, oras.PackOptions{ConfigDescriptor: &cfg, PackImageManifest: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Tag(ctx, man, "3.0.0"); err != nil {
		t.Fatal(err)
	}
	repo, _ := c.Repository(reg.Ref("falcosecurity/rules/falco-rules", ""))
	if _, err := oras.Copy(ctx, store, "3.0.0", repo, "3.0.0", oras.DefaultCopyOptions); err != nil {
		t.Fatal(err)
	}

	dest := t.TempDir()
	in := &Installer{Resolver: &Resolver{Registry: c}, State: OpenState(t.TempDir()), Engine: DefaultEngine()}
	done, err := in.Install(ctx, []string{reg.Ref("falcosecurity/rules/falco-rules", "^3")}, InstallOptions{Dirs: map[Type]string{Rulesfile: dest}})
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 1 || done[0].Name != "falco-rules" || done[0].Version != "3.0.0" {
		t.Fatalf("installed %+v", done)
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "falco_rules.yaml")); !bytes.Equal(got, body) {
		t.Fatalf("falco_rules.yaml = %q", got)
	}
}

func digestOf(b []byte) digest.Digest { return digest.FromBytes(b) }
