package signature_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"

	"github.com/sakersec/saker/artifacts/signature"
	"github.com/sakersec/saker/index"
)

// memRepo serves one referrer manifest whose single layer is a bundle.
type memRepo struct {
	blobs     map[digest.Digest][]byte
	referrers []ocispec.Descriptor
}

func (m *memRepo) Fetch(_ context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	b, ok := m.blobs[d.Digest]
	if !ok {
		return nil, errdef.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memRepo) Referrers(_ context.Context, _ ocispec.Descriptor, _ string, fn func([]ocispec.Descriptor) error) error {
	return fn(m.referrers)
}

func newMemRepo(subject digest.Digest, bundle []byte) *memRepo {
	m := &memRepo{blobs: map[digest.Digest][]byte{}}
	bd := content.NewDescriptorFromBytes(signature.BundleArtifactType, bundle)
	m.blobs[bd.Digest] = bundle
	man, _ := json.Marshal(ocispec.Manifest{
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: signature.BundleArtifactType,
		Config:       ocispec.DescriptorEmptyJSON,
		Layers:       []ocispec.Descriptor{bd},
		Subject:      &ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: subject, Size: 2},
	})
	md := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, man)
	md.ArtifactType = signature.BundleArtifactType
	m.blobs[md.Digest] = man
	m.referrers = []ocispec.Descriptor{md}
	return m
}

// FuzzVerifyBundle feeds Verify arbitrary bundles, as a hostile registry
// could: it must return one of its errors, never panic.
func FuzzVerifyBundle(f *testing.F) {
	subject := digest.FromString("artifact manifest")
	bundle, pub := keySign(f, statement(subject))
	f.Add(bundle)
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	f.Add([]byte(`{}`))
	policy := &index.CosignSignature{Key: pub, IgnoreTlog: true}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := signature.Verify(context.Background(), signature.Options{
			Repository: newMemRepo(subject, b), Ref: "fuzz", Digest: subject.String(), Policy: policy,
		})
		if err != nil && !errors.Is(err, signature.ErrNoSignature) && !errors.Is(err, signature.ErrVerification) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
