package signature

import (
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	sigsig "github.com/sigstore/sigstore/pkg/signature"

	"github.com/sakersec/saker/index"
)

// policy is an index entry's cosign block turned into sigstore-go
// material, built once per Verify call before the registry is contacted.
type policy struct {
	// trusted verifies keys, certificates and log entries.
	trusted root.TrustedMaterial
	// root is the trusted root read from a file, nil without one.
	root *root.TrustedRoot
	// key is set for key-based verification.
	key       bool
	identity  *verify.CertificateIdentity
	ignoreLog bool
}

func newPolicy(p *index.CosignSignature, trustedRootFile string, log *slog.Logger) (*policy, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: the index entry has no signature.cosign block", ErrPolicy)
	}
	out := &policy{ignoreLog: p.IgnoreTlog}
	if trustedRootFile != "" {
		tr, err := root.NewTrustedRootFromPath(trustedRootFile)
		if err != nil {
			return nil, fmt.Errorf("%w: trusted root %s: %v (want sigstore's trusted_root.json)", ErrPolicy, trustedRootFile, err)
		}
		out.root = tr
	}
	if p.CertificateGithubWorkflow != "" {
		log.Warn("signature.cosign.certificate-github-workflow is not checked", "value", p.CertificateGithubWorkflow)
	}

	if strings.TrimSpace(p.Key) != "" {
		v, err := loadKey(p.Key)
		if err != nil {
			return nil, err
		}
		// The key is the trust anchor; it never expires.
		ek := root.NewExpiringKey(v, time.Time{}, time.Time{})
		keys := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return ek, nil })
		out.key = true
		if out.root != nil {
			out.trusted = root.TrustedMaterialCollection{out.root, keys}
		} else {
			out.trusted = keys
			if !p.IgnoreTlog {
				// Checking the transparency log entry needs the log's
				// key, which only a trusted root provides. Verifying
				// against the key alone still proves who signed.
				log.Warn("transparency log entry of the signature not checked: no trusted root configured; the signature is verified against the key only")
				out.ignoreLog = true
			}
		}
		return out, nil
	}

	if p.CertificateIdentity == "" && p.CertificateIdentityRegexp == "" {
		return nil, fmt.Errorf("%w: signature.cosign needs a key, or certificate-identity[-regexp] and certificate-oidc-issuer[-regexp]", ErrPolicy)
	}
	if p.CertificateOidcIssuer == "" && p.CertificateOidcIssuerRegexp == "" {
		return nil, fmt.Errorf("%w: signature.cosign has a certificate identity but no certificate-oidc-issuer[-regexp]", ErrPolicy)
	}
	id, err := verify.NewShortCertificateIdentity(p.CertificateOidcIssuer, p.CertificateOidcIssuerRegexp, p.CertificateIdentity, p.CertificateIdentityRegexp)
	if err != nil {
		return nil, fmt.Errorf("%w: signature.cosign identity: %v", ErrPolicy, err)
	}
	out.identity = &id
	if out.root == nil {
		return nil, fmt.Errorf("%w: keyless verification (certificate identity %s) needs a trusted root: give sigstore's trusted_root.json as a file (e.g. saved from the Sigstore TUF repository with `cosign trusted-root`)", ErrPolicy, identityText(p))
	}
	out.trusted = out.root
	return out, nil
}

func identityText(p *index.CosignSignature) string {
	id := p.CertificateIdentity
	if id == "" {
		id = "~" + p.CertificateIdentityRegexp
	}
	iss := p.CertificateOidcIssuer
	if iss == "" {
		iss = "~" + p.CertificateOidcIssuerRegexp
	}
	return fmt.Sprintf("%q from issuer %q", id, iss)
}

// loadKey reads a PEM public key given inline or as a file path.
func loadKey(key string) (sigsig.Verifier, error) {
	key = strings.TrimSpace(key)
	raw := []byte(key)
	where := "inline key"
	if !strings.HasPrefix(key, "-----BEGIN") {
		if i := strings.Index(key, "://"); i > 0 {
			return nil, fmt.Errorf("%w: key %q: only a PEM public key (a file path or the PEM text) is supported, not %s:// references", ErrPolicy, key, key[:i])
		}
		b, err := os.ReadFile(key)
		if err != nil {
			return nil, fmt.Errorf("%w: key: %v", ErrPolicy, err)
		}
		raw, where = b, key
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: not a PEM public key: %v", ErrPolicy, where, err)
	}
	// cosign verifies with SHA-256 whatever the key (ed25519 ignores it).
	v, err := sigsig.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrPolicy, where, err)
	}
	return v, nil
}

// verifierFor picks the time and log checks for one bundle the way
// cosign does: a signed timestamp when the bundle has one and the trusted
// root lists timestamp authorities, else the log's integrated time (or,
// without a log, the current time for certificates; keys need none).
func (p *policy) verifierFor(b verify.SignedEntity) (*verify.Verifier, error) {
	var opts []verify.VerifierOption
	signedTS := false
	if p.root != nil && len(p.root.TimestampingAuthorities()) > 0 {
		if ts, err := b.Timestamps(); err == nil && len(ts) > 0 {
			signedTS = true
		}
	}
	if !p.key && p.root != nil && len(p.root.CTLogs()) > 0 {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
	}
	if signedTS {
		opts = append(opts, verify.WithSignedTimestamps(1))
	}
	switch {
	case !p.ignoreLog:
		opts = append(opts, verify.WithTransparencyLog(1))
		if !signedTS {
			if p.key {
				opts = append(opts, verify.WithNoObserverTimestamps())
			} else {
				opts = append(opts, verify.WithIntegratedTimestamps(1))
			}
		}
	case signedTS:
	case p.key:
		opts = append(opts, verify.WithNoObserverTimestamps())
	default:
		opts = append(opts, verify.WithCurrentTime())
	}
	v, err := verify.NewVerifier(p.trusted, opts...)
	if err != nil {
		return nil, errors.Join(ErrPolicy, err)
	}
	return v, nil
}

func (p *policy) policyOptions() []verify.PolicyOption {
	if p.key {
		return []verify.PolicyOption{verify.WithKey()}
	}
	return []verify.PolicyOption{verify.WithCertificateIdentity(*p.identity)}
}
