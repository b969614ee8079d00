package signature

import "errors"

// Errors returned (wrapped with context) by [Verify].
var (
	// ErrNoSignature means no Sigstore bundle is attached to the artifact.
	ErrNoSignature = errors.New("no signature found")
	// ErrVerification means bundles were found but none satisfies the
	// policy: wrong key or identity, a digest that does not match, or a
	// bundle that does not verify.
	ErrVerification = errors.New("signature verification failed")
	// ErrPolicy means the signature policy itself is unusable: no key nor
	// identity, an unreadable key or trusted root, a bad regular
	// expression.
	ErrPolicy = errors.New("invalid signature policy")
)

// skipHint ends the messages of signature errors.
const skipHint = "pass --no-verify (or set artifact.noVerify) to skip verification, at your own risk"
