package signature

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"

	"github.com/sakersec/saker/index"
)

// BundleArtifactType is the artifact type of the referrer manifests that
// carry a cosign v3 Sigstore bundle.
const BundleArtifactType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// bundleMediaTypePrefix matches the layer media type of every bundle
// version.
const bundleMediaTypePrefix = "application/vnd.dev.sigstore.bundle"

// Limits on what a registry can make Verify read: signatures are a few
// kilobytes.
const (
	maxManifestSize = 1 << 20
	maxBundleSize   = 1 << 20
	maxReferrers    = 64
)

// Repository is what [Verify] reads from. oras-go's *remote.Repository is
// one; its Referrers falls back to the "sha256-<hex>" referrers tag on
// registries without the referrers API.
type Repository interface {
	content.Fetcher
	registry.ReferrerLister
}

// Options configure [Verify].
type Options struct {
	// Repository holds the artifact and its signatures.
	Repository Repository
	// Ref names the artifact in messages (HOST/REPO:TAG).
	Ref string
	// Digest is the signed manifest (or image index) digest, as cosign
	// signs it: the root digest the tag points to.
	Digest string
	// Policy is the index entry's signature.cosign block.
	Policy *index.CosignSignature
	// TrustedRootFile is sigstore's trusted_root.json. Keyless
	// verification needs it; with a key it enables the transparency log
	// check.
	TrustedRootFile string
	// Logger receives warnings and debug logs; nil discards them.
	Logger *slog.Logger
}

// Result describes the signature that satisfied the policy.
type Result struct {
	// Bundle is the digest of the Sigstore bundle that verified.
	Bundle string `json:"bundle"`
	// Identity and Issuer are the certificate's subject alternative name
	// and OIDC issuer (empty for key-based signatures).
	Identity string `json:"identity,omitempty"`
	Issuer   string `json:"issuer,omitempty"`
	// KeyBased is true when a public key verified the signature.
	KeyBased bool `json:"keyBased"`
}

// Verify checks that the artifact at opts.Digest carries a Sigstore bundle
// satisfying opts.Policy. It returns an error wrapping [ErrNoSignature],
// [ErrVerification] or [ErrPolicy] otherwise; registry errors are returned
// wrapped as they come.
func Verify(ctx context.Context, opts Options) (*Result, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Repository == nil {
		return nil, fmt.Errorf("%w: no repository to read signatures from", ErrPolicy)
	}
	dgst, err := digest.Parse(opts.Digest)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: digest %q: %v", opts.Ref, ErrPolicy, opts.Digest, err)
	}
	artDigest, err := hex.DecodeString(dgst.Encoded())
	if err != nil {
		return nil, fmt.Errorf("%s: %w: digest %q: %v", opts.Ref, ErrPolicy, opts.Digest, err)
	}
	pol, err := newPolicy(opts.Policy, opts.TrustedRootFile, log)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.Ref, err)
	}
	where := opts.Ref + "@" + dgst.String()

	bundles, err := findBundles(ctx, opts.Repository, dgst, log)
	if err != nil {
		return nil, fmt.Errorf("%s: looking for signatures: %w", where, err)
	}
	if len(bundles) == 0 {
		return nil, fmt.Errorf("%s: %w: no Sigstore bundle is attached (looked for referrers of type %s); sign it with cosign v3, or %s", where, ErrNoSignature, BundleArtifactType, skipHint)
	}

	var errs []string
	for _, fb := range bundles {
		v, err := pol.verifierFor(fb.bundle)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		res, err := v.Verify(fb.bundle, verify.NewPolicy(verify.WithArtifactDigest(dgst.Algorithm().String(), artDigest), pol.policyOptions()...))
		if err != nil {
			log.Debug("signature bundle rejected", "artifact", where, "bundle", fb.digest, "error", err)
			errs = append(errs, fmt.Sprintf("bundle %s: %v", fb.digest.Encoded()[:12], err))
			continue
		}
		out := &Result{Bundle: fb.digest.String(), KeyBased: pol.key}
		if res.Signature != nil && res.Signature.Certificate != nil {
			out.Identity = res.Signature.Certificate.SubjectAlternativeName
			out.Issuer = res.Signature.Certificate.Issuer
		}
		log.Debug("signature verified", "artifact", where, "bundle", fb.digest, "identity", out.Identity, "issuer", out.Issuer, "keyBased", out.KeyBased)
		return out, nil
	}
	what := "the configured key"
	if !pol.key {
		what = "identity " + identityText(opts.Policy)
	}
	return nil, fmt.Errorf("%s: %w: no signature verifies against %s: %s; do not install it unless you trust its origin (%s)", where, ErrVerification, what, strings.Join(errs, "; "), skipHint)
}

type foundBundle struct {
	digest digest.Digest
	bundle *bundle.Bundle
}

// findBundles returns the parseable Sigstore bundles that refer to dgst.
// A referrer that is not a bundle, or a bundle that does not parse, is
// skipped: anyone with push access can attach referrers.
func findBundles(ctx context.Context, repo Repository, dgst digest.Digest, log *slog.Logger) ([]foundBundle, error) {
	var refs []ocispec.Descriptor
	subject := ocispec.Descriptor{Digest: dgst, MediaType: ocispec.MediaTypeImageManifest}
	// No artifact type filter: cosign pushes through go-containerregistry,
	// which lists its referrer under the config's media type
	// (application/vnd.oci.empty.v1+json) instead of the manifest's
	// artifactType, so registries and the referrers tag index show that.
	err := repo.Referrers(ctx, subject, "", func(page []ocispec.Descriptor) error {
		for _, d := range page {
			if len(refs) >= maxReferrers {
				return nil
			}
			refs = append(refs, d)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errdef.ErrNotFound) {
		return nil, err
	}
	var out []foundBundle
	for _, ref := range refs {
		if ref.ArtifactType != "" && ref.ArtifactType != ocispec.MediaTypeEmptyJSON && !strings.HasPrefix(ref.ArtifactType, bundleMediaTypePrefix) {
			continue
		}
		if ref.Size > maxManifestSize {
			log.Debug("signature referrer skipped: manifest too large", "referrer", ref.Digest, "size", ref.Size)
			continue
		}
		if ref.MediaType == "" {
			ref.MediaType = ocispec.MediaTypeImageManifest
		}
		raw, err := content.FetchAll(ctx, repo, ref)
		if err != nil {
			return nil, fmt.Errorf("referrer %s: %w", ref.Digest, err)
		}
		var m ocispec.Manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			log.Debug("signature referrer skipped: not a manifest", "referrer", ref.Digest, "error", err)
			continue
		}
		if m.Subject == nil || m.Subject.Digest != dgst {
			log.Debug("signature referrer skipped: subject is another manifest", "referrer", ref.Digest)
			continue
		}
		for _, l := range m.Layers {
			if !strings.HasPrefix(l.MediaType, bundleMediaTypePrefix) {
				continue
			}
			if l.Size > maxBundleSize {
				log.Debug("signature bundle skipped: too large", "bundle", l.Digest, "size", l.Size)
				continue
			}
			raw, err := content.FetchAll(ctx, repo, l)
			if err != nil {
				return nil, fmt.Errorf("signature bundle %s: %w", l.Digest, err)
			}
			var b bundle.Bundle
			if err := b.UnmarshalJSON(raw); err != nil {
				log.Debug("signature bundle skipped: does not parse", "bundle", l.Digest, "error", err)
				continue
			}
			out = append(out, foundBundle{digest: l.Digest, bundle: &b})
		}
	}
	return out, nil
}
