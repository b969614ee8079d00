package artifact_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/sigtest"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/sakersec/saker/artifacts/signature"
	"github.com/sakersec/saker/internal/testregistry"
)

// cosignStatement is the in-toto statement `cosign sign` signs (v3
// bundle format) for the manifest digest dgst.
func cosignStatement(dgst string) []byte { return sigtest.Statement(dgst) }

// signWithKey signs stmt with a fresh key and returns the bundle and the
// PEM public key.
func signWithKey(t *testing.T, stmt []byte) ([]byte, string) { return sigtest.SignWithKey(t, stmt) }

// signKeyless signs stmt as identity/issuer with a throwaway Sigstore and
// returns the bundle and that Sigstore's trusted_root.json.
func signKeyless(t *testing.T, stmt []byte, identity, issuer string) ([]byte, []byte) {
	t.Helper()
	b, tr, _ := sigtest.SignKeyless(t, stmt, identity, issuer)
	return b, tr
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
