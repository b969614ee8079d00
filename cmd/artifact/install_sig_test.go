package artifact_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"google.golang.org/protobuf/encoding/protojson"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/sakersec/saker/artifacts/signature"
	"github.com/sakersec/saker/internal/testregistry"
)

// cosignStatement is the in-toto statement `cosign sign` signs (v3
// bundle format) for the manifest digest dgst.
func cosignStatement(dgst string) []byte {
	alg, hexd, _ := strings.Cut(dgst, ":")
	b, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"digest": map[string]string{alg: hexd}}},
		"predicateType": "https://sigstore.dev/cosign/sign/v1",
		"predicate":     map[string]any{},
	})
	return b
}

// signWithKey signs stmt with a fresh key (cosign sign --key
// --tlog-upload=false) and returns the bundle and the PEM public key.
func signWithKey(t *testing.T, stmt []byte) ([]byte, string) {
	t.Helper()
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := sign.Bundle(&sign.DSSEData{Data: stmt, PayloadType: "application/vnd.in-toto+json"}, kp, sign.BundleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.GetPublicKeyPem()
	if err != nil {
		t.Fatal(err)
	}
	return b, pub
}

// signKeyless signs stmt as identity/issuer with a throwaway Sigstore
// (Fulcio CA, Rekor log with inclusion proof, timestamp authority) and
// returns the bundle and that Sigstore's trusted_root.json.
func signKeyless(t *testing.T, stmt []byte, identity, issuer string) ([]byte, []byte) {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	ent, err := vs.AttestAtTime(identity, issuer, stmt, time.Now().Add(time.Minute), true)
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := ent.SignatureContent()
	env := sc.(*sgbundle.Envelope).Envelope
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	sig, _ := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	vc, _ := ent.VerificationContent()
	entries, _ := ent.TlogEntries()
	tle := entries[0].TransparencyLogEntry()
	tle.KindVersion = &protorekor.KindVersion{Kind: "dsse", Version: "0.0.1"}
	tss, _ := ent.Timestamps()
	var rfc []*protocommon.RFC3161SignedTimestamp
	for _, ts := range tss {
		rfc = append(rfc, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
	}
	b, err := protojson.Marshal(&protobundle.Bundle{
		MediaType: signature.BundleArtifactType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:                   &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: vc.(*sgbundle.Certificate).Certificate().Raw}},
			TlogEntries:               []*protorekor.TransparencyLogEntry{tle},
			TimestampVerificationData: &protobundle.TimestampVerificationData{Rfc3161Timestamps: rfc},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: env.PayloadType, Signatures: []*protodsse.Signature{{Sig: sig}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// trusted_root.json carries raw log IDs; the virtual Rekor stores hex.
	logs := vs.RekorLogs()
	for id, l := range logs {
		if l.ID, err = hex.DecodeString(id); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, vs.FulcioCertificateAuthorities(), nil, vs.TimestampingAuthorities(), logs)
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b, trJSON
}

// attachBundle pushes bundle as a referrer of the manifest tag points to,
// as cosign v3 does.
func attachBundle(t *testing.T, e *env, repoName, tag string, sign func(stmt []byte) []byte) {
	t.Helper()
	ctx := context.Background()
	repo, err := remote.NewRepository(e.reg.Host + "/" + repoName)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	subject, err := repo.Resolve(ctx, tag)
	if err != nil {
		t.Fatal(err)
	}
	bundle := sign(cosignStatement(subject.Digest.String()))
	bd := content.NewDescriptorFromBytes(signature.BundleArtifactType, bundle)
	if err := repo.Push(ctx, bd, bytes.NewReader(bundle)); err != nil {
		t.Fatal(err)
	}
	if _, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, signature.BundleArtifactType,
		oras.PackManifestOptions{Subject: &subject, Layers: []ocispec.Descriptor{bd}}); err != nil {
		t.Fatal(err)
	}
}

func signedIndex(t *testing.T, e *env, name, repo, cosignYAML string) {
	t.Helper()
	idx := writeFile(t, filepath.Join(t.TempDir(), "index.yaml"), `- name: `+name+`
  type: rulesfile
  registry: `+e.reg.Host+`
  repository: `+repo+`
  description: signed rules
  home: https://example.org
  keywords: [signed]
  license: Apache-2.0
  maintainers: [{name: Demo, email: demo@example.org}]
  sources: [https://example.org]
  signature:
    cosign:
`+cosignYAML)
	e.ok("index", "add", name, "file://"+idx)
}

// Signed artifacts install through the CLI when the signature matches the
// index entry's key or identity, and are refused, with nothing written,
// when it does not.
func TestInstallVerifiesSignatures(t *testing.T) {
	e := newEnv(t, testregistry.Options{})
	src := t.TempDir()
	for _, r := range []string{"keyed", "keyless"} {
		e.push(e.reg.Ref("rules/"+r, "1.0.0"), writeFile(t, filepath.Join(src, r+".yaml"), "- list: "+r+"\n  items: []\n"), "--type", "rulesfile", "--version", "1.0.0")
	}

	var pub string
	attachBundle(t, e, "rules/keyed", "1.0.0", func(stmt []byte) []byte {
		b, p := signWithKey(t, stmt)
		pub = p
		return b
	})
	_, otherPub := signWithKey(t, []byte("{}"))
	keyFile := writeFile(t, filepath.Join(src, "release.pub"), pub)
	otherFile := writeFile(t, filepath.Join(src, "other.pub"), otherPub)
	signedIndex(t, e, "keyed", "rules/keyed", "      key: "+keyFile+"\n      ignore-tlog: true\n")
	signedIndex(t, e, "keyed-other", "rules/keyed", "      key: "+otherFile+"\n      ignore-tlog: true\n")

	const identity, issuer = "release@falco.example", "https://token.actions.example"
	var trustedRoot string
	attachBundle(t, e, "rules/keyless", "1.0.0", func(stmt []byte) []byte {
		b, tr := signKeyless(t, stmt, identity, issuer)
		trustedRoot = writeFile(t, filepath.Join(src, "trusted_root.json"), string(tr))
		return b
	})
	signedIndex(t, e, "keyless", "rules/keyless", "      certificate-identity-regexp: ^release@falco\\.example$\n      certificate-oidc-issuer: "+issuer+"\n")
	signedIndex(t, e, "keyless-other", "rules/keyless", "      certificate-identity: mallory@example.com\n      certificate-oidc-issuer: "+issuer+"\n")

	_, errOut, code := e.run(append([]string{"artifact", "install", "keyed:1.0.0"}, e.transport...)...)
	if code != 0 || !strings.Contains(errOut, "signature verified") {
		t.Fatalf("install of a key-signed artifact: exit %d\n%s", code, errOut)
	}
	_, errOut, code = e.run(append([]string{"artifact", "install", "keyless:1.0.0", "--trusted-root", trustedRoot}, e.transport...)...)
	if code != 0 || !strings.Contains(errOut, "identity="+identity) {
		t.Fatalf("install of a keyless-signed artifact: exit %d\n%s", code, errOut)
	}
	if got := readFile(t, filepath.Join(e.rules, "keyless.yaml")); !strings.Contains(got, "keyless") {
		t.Fatalf("keyless.yaml not installed: %q", got)
	}

	before := snapshot(t, e.root+"/etc")
	e.installFails("signature verification failed", "keyed-other:1.0.0")
	e.installFails("signature verification failed", "keyless-other:1.0.0", "--trusted-root", trustedRoot)
	e.installFails("needs a trusted root", "keyless:1.0.0")
	sameSnapshot(t, "refused signatures", before, snapshot(t, e.root+"/etc"))
}
