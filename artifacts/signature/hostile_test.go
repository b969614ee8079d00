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

// Bundles a hostile registry could serve end in one of Verify's errors,
// never a panic or an error of another kind. (Not a fuzz target: fuzzing
// would instrument all of sigstore-go and slow CI's fuzz step down.)
func TestVerifyHostileBundles(t *testing.T) {
	subject := digest.FromString("artifact manifest")
	good, pub := keySign(t, statement(subject))
	policy := &index.CosignSignature{Key: pub, IgnoreTlog: true}
	hostile := [][]byte{
		nil,
		[]byte("{}"),
		[]byte("null"),
		[]byte("\x00\xff garbage"),
		[]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`),
		[]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AAAA"}]}}`),
		good[:len(good)/2],
		bytes.Replace(good, []byte(`"publicKey"`), []byte(`"certificate"`), 1),
		bytes.Replace(good, []byte("v0.3"), []byte("v9.9"), 1),
	}
	for i := range 32 {
		b := bytes.Clone(good)
		b[(i*7919)%len(b)] ^= byte(1 + i)
		hostile = append(hostile, b)
	}
	for i, b := range hostile {
		_, err := signature.Verify(context.Background(), signature.Options{
			Repository: newMemRepo(subject, b), Ref: "hostile", Digest: subject.String(), Policy: policy,
		})
		if err != nil && !errors.Is(err, signature.ErrNoSignature) && !errors.Is(err, signature.ErrVerification) {
			t.Errorf("bundle %d: unexpected error kind: %v", i, err)
		}
	}
	if _, err := signature.Verify(context.Background(), signature.Options{
		Repository: newMemRepo(subject, good), Ref: "good", Digest: subject.String(), Policy: policy,
	}); err != nil {
		t.Fatalf("the unaltered bundle does not verify through the in-memory repository: %v", err)
	}
}
