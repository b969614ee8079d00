package signature_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/sigtest"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/sakersec/saker/artifacts/signature"
	"github.com/sakersec/saker/index"
	"github.com/sakersec/saker/internal/testregistry"
)

const cosignPredicate = sigtest.Predicate

// fixture is an artifact pushed to a loopback registry.
type fixture struct {
	repo   *remote.Repository
	ref    string
	digest digest.Digest
	desc   ocispec.Descriptor
}

// registries yields the two ways signatures are found: a registry with
// the referrers API (go-containerregistry's) and one without it
// (distribution, where oras-go falls back to the sha256-<hex> tag).
func registries(t *testing.T) map[string]string {
	ggcr := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(nilLogger())))
	t.Cleanup(ggcr.Close)
	dist := testregistry.New(t, testregistry.Options{})
	return map[string]string{
		"referrers-api": strings.TrimPrefix(ggcr.URL, "http://"),
		"tag-fallback":  dist.Host,
	}
}

func pushArtifact(t *testing.T, host, name string) fixture {
	t.Helper()
	ctx := context.Background()
	repo, err := remote.NewRepository(host + "/falco/" + name)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	layer := []byte("- rule: test\n  desc: " + name + "\n")
	ld := content.NewDescriptorFromBytes("application/vnd.cncf.falco.rulesfile.layer.v1+tar.gz", layer)
	if err := repo.Push(ctx, ld, bytes.NewReader(layer)); err != nil {
		t.Fatal(err)
	}
	cfg := []byte(`{"name":"` + name + `","version":"1.0.0"}`)
	cd := content.NewDescriptorFromBytes("application/vnd.cncf.falco.rulesfile.config.v1+json", cfg)
	if err := repo.Push(ctx, cd, bytes.NewReader(cfg)); err != nil {
		t.Fatal(err)
	}
	md, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "", oras.PackManifestOptions{ConfigDescriptor: &cd, Layers: []ocispec.Descriptor{ld}})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Tag(ctx, md, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	return fixture{repo: repo, ref: host + "/falco/" + name + ":1.0.0", digest: md.Digest, desc: md}
}

// statement is what `cosign sign` signs in its v3 bundle format.
func statement(d digest.Digest) []byte { return sigtest.Statement(d.String()) }

// keySign signs stmt with a fresh key and returns the bundle JSON and the
// PEM public key.
func keySign(t testing.TB, stmt []byte) ([]byte, string) { return sigtest.SignWithKey(t, stmt) }

// attach pushes bundle as a referrer of f, as cosign v3 does.
func attach(t *testing.T, f fixture, bundle []byte) {
	t.Helper()
	ctx := context.Background()
	bd := content.NewDescriptorFromBytes(signature.BundleArtifactType, bundle)
	if err := f.repo.Push(ctx, bd, bytes.NewReader(bundle)); err != nil {
		t.Fatal(err)
	}
	subject := f.desc
	_, err := oras.PackManifest(ctx, f.repo, oras.PackManifestVersion1_1, signature.BundleArtifactType, oras.PackManifestOptions{
		Subject:             &subject,
		Layers:              []ocispec.Descriptor{bd},
		ManifestAnnotations: map[string]string{"dev.sigstore.bundle.content": "dsse-envelope", "dev.sigstore.bundle.predicateType": cosignPredicate},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// verifyRepo opens f's repository afresh, as an installer would.
func verify(t *testing.T, f fixture, pol *index.CosignSignature, trustedRoot string) (*signature.Result, error) {
	t.Helper()
	repo, err := remote.NewRepository(f.repo.Reference.Registry + "/" + f.repo.Reference.Repository)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	return signature.Verify(context.Background(), signature.Options{
		Repository: repo, Ref: f.ref, Digest: f.digest.String(), Policy: pol, TrustedRootFile: trustedRoot,
	})
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func wantErr(t *testing.T, err, sentinel error, contains ...string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error = %v, want %v", err, sentinel)
	}
	for _, c := range contains {
		if !strings.Contains(err.Error(), c) {
			t.Errorf("error %q does not say %q", err, c)
		}
	}
}

func TestVerifyKey(t *testing.T) {
	for kind, host := range registries(t) {
		t.Run(kind, func(t *testing.T) {
			f := pushArtifact(t, host, "signed")
			bundle, pub := keySign(t, statement(f.digest))
			attach(t, f, bundle)

			res, err := verify(t, f, &index.CosignSignature{Key: writeFile(t, "cosign.pub", pub), IgnoreTlog: true}, "")
			if err != nil {
				t.Fatalf("key file: %v", err)
			}
			if !res.KeyBased || !strings.HasPrefix(res.Bundle, "sha256:") {
				t.Errorf("result = %+v", res)
			}
			if _, err := verify(t, f, &index.CosignSignature{Key: pub, IgnoreTlog: true}, ""); err != nil {
				t.Fatalf("inline key: %v", err)
			}

			_, otherPub := keySign(t, statement(f.digest))
			_, err = verify(t, f, &index.CosignSignature{Key: otherPub, IgnoreTlog: true}, "")
			wantErr(t, err, signature.ErrVerification, "--no-verify", f.digest.String())

			unsigned := pushArtifact(t, host, "unsigned")
			_, err = verify(t, unsigned, &index.CosignSignature{Key: pub, IgnoreTlog: true}, "")
			wantErr(t, err, signature.ErrNoSignature, "--no-verify")
		})
	}
}

// A bundle signed for another digest, or whose payload was altered after
// signing, must not verify, even attached as a referrer of the artifact.
func TestVerifyKeyTampered(t *testing.T) {
	host := registries(t)["referrers-api"]
	pol := func(pub string) *index.CosignSignature { return &index.CosignSignature{Key: pub, IgnoreTlog: true} }

	f := pushArtifact(t, host, "otherdigest")
	other := digest.FromString("another manifest")
	bundle, pub := keySign(t, statement(other))
	attach(t, f, bundle)
	_, err := verify(t, f, pol(pub), "")
	wantErr(t, err, signature.ErrVerification)

	g := pushArtifact(t, host, "altered")
	bundle, pub = keySign(t, statement(g.digest))
	var doc map[string]any
	if err := json.Unmarshal(bundle, &doc); err != nil {
		t.Fatal(err)
	}
	env := doc["dsseEnvelope"].(map[string]any)
	payload, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
	env["payload"] = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte(cosignPredicate), []byte("https://example.com/other/v1"), 1))
	altered, _ := json.Marshal(doc)
	attach(t, g, altered)
	_, err = verify(t, g, pol(pub), "")
	wantErr(t, err, signature.ErrVerification)

}

// Referrers that are not bundles, or bundles that do not parse, are
// skipped; a valid bundle beside them verifies.
func TestVerifySkipsGarbage(t *testing.T) {
	host := registries(t)["referrers-api"]
	f := pushArtifact(t, host, "garbage")
	attach(t, f, []byte(`{"not":"a bundle"}`))
	bundle, pub := keySign(t, statement(f.digest))
	attach(t, f, bundle)
	if _, err := verify(t, f, &index.CosignSignature{Key: pub, IgnoreTlog: true}, ""); err != nil {
		t.Fatal(err)
	}
}

// Without a trusted root a key-based policy that wants the transparency
// log still verifies the signature against the key, and says the log was
// not checked.
func TestVerifyKeyWithoutTrustedRootWarns(t *testing.T) {
	host := registries(t)["referrers-api"]
	f := pushArtifact(t, host, "warn")
	bundle, pub := keySign(t, statement(f.digest))
	attach(t, f, bundle)
	var logs bytes.Buffer
	repo, _ := remote.NewRepository(f.repo.Reference.Registry + "/" + f.repo.Reference.Repository)
	repo.PlainHTTP = true
	_, err := signature.Verify(context.Background(), signature.Options{
		Repository: repo, Ref: f.ref, Digest: f.digest.String(),
		Policy: &index.CosignSignature{Key: pub},
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "transparency log") {
		t.Errorf("no warning about the unchecked transparency log: %q", logs.String())
	}
}

func TestVerifyPolicyErrors(t *testing.T) {
	host := registries(t)["referrers-api"]
	f := pushArtifact(t, host, "policy")
	for name, tc := range map[string]struct {
		pol  *index.CosignSignature
		root string
		want string
	}{
		"nothing":        {&index.CosignSignature{}, "", "needs a key"},
		"no issuer":      {&index.CosignSignature{CertificateIdentity: "a@example.com"}, "", "certificate-oidc-issuer"},
		"bad regexp":     {&index.CosignSignature{CertificateIdentityRegexp: "(", CertificateOidcIssuer: "https://issuer"}, "", "identity"},
		"no root":        {&index.CosignSignature{CertificateIdentity: "a@example.com", CertificateOidcIssuer: "https://issuer"}, "", "trusted root"},
		"kms key":        {&index.CosignSignature{Key: "awskms:///alias/x"}, "", "awskms://"},
		"missing key":    {&index.CosignSignature{Key: "/nonexistent/cosign.pub"}, "", "/nonexistent/cosign.pub"},
		"not a key":      {&index.CosignSignature{Key: writeFile(t, "k.pub", "hello")}, "", "not a PEM public key"},
		"bad root file":  {&index.CosignSignature{CertificateIdentity: "a", CertificateOidcIssuer: "b"}, writeFile(t, "root.json", "{}x"), "trusted root"},
		"missing policy": {nil, "", "signature.cosign"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := verify(t, f, tc.pol, tc.root)
			wantErr(t, err, signature.ErrPolicy, tc.want)
		})
	}
}

// keyless signs stmt as identity/issuer with a throwaway Sigstore and
// returns the bundle and the paths of its trusted_root.json and of one that
// lacks its transparency log.
func keyless(t *testing.T, stmt []byte, identity, issuer string) (bundle []byte, trustedRoot, noLogRoot string) {
	t.Helper()
	bundle, tr, noLog := sigtest.SignKeyless(t, stmt, identity, issuer)
	return bundle, writeFile(t, "trusted_root.json", string(tr)), writeFile(t, "nolog_root.json", string(noLog))
}

func TestVerifyKeyless(t *testing.T) {
	const (
		identity = "release@falco.example"
		issuer   = "https://token.actions.example"
	)
	for kind, host := range registries(t) {
		t.Run(kind, func(t *testing.T) {
			f := pushArtifact(t, host, "keyless")
			bundle, trustedRoot, noLogRoot := keyless(t, statement(f.digest), identity, issuer)
			attach(t, f, bundle)

			for name, pol := range map[string]*index.CosignSignature{
				"exact":      {CertificateIdentity: identity, CertificateOidcIssuer: issuer},
				"regexp":     {CertificateIdentityRegexp: `^release@falco\.example$`, CertificateOidcIssuerRegexp: `^https://token\.actions\.`},
				"ignoreTlog": {CertificateIdentity: identity, CertificateOidcIssuer: issuer, IgnoreTlog: true},
			} {
				res, err := verify(t, f, pol, trustedRoot)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if res.Identity != identity || res.Issuer != issuer || res.KeyBased {
					t.Errorf("%s: result = %+v", name, res)
				}
			}

			_, err := verify(t, f, &index.CosignSignature{CertificateIdentity: "mallory@example.com", CertificateOidcIssuer: issuer}, trustedRoot)
			wantErr(t, err, signature.ErrVerification, "mallory@example.com", "--no-verify")
			_, err = verify(t, f, &index.CosignSignature{CertificateIdentityRegexp: "falco", CertificateOidcIssuer: "https://accounts.example"}, trustedRoot)
			wantErr(t, err, signature.ErrVerification)

			// Another Sigstore's root does not vouch for this certificate.
			_, otherRoot, _ := keyless(t, statement(f.digest), identity, issuer)
			_, err = verify(t, f, &index.CosignSignature{CertificateIdentity: identity, CertificateOidcIssuer: issuer}, otherRoot)
			wantErr(t, err, signature.ErrVerification)

			// The log entry is checked unless ignore-tlog says otherwise.
			_, err = verify(t, f, &index.CosignSignature{CertificateIdentity: identity, CertificateOidcIssuer: issuer}, noLogRoot)
			wantErr(t, err, signature.ErrVerification, "transparency log")
			if _, err := verify(t, f, &index.CosignSignature{CertificateIdentity: identity, CertificateOidcIssuer: issuer, IgnoreTlog: true}, noLogRoot); err != nil {
				t.Errorf("ignore-tlog with a root without the log: %v", err)
			}
		})
	}
}

func nilLogger() *log.Logger { return log.New(io.Discard, "", 0) }
