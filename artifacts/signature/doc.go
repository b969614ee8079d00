// Package signature verifies cosign signatures of artifacts before they are
// installed.
//
// It finds the Sigstore bundles cosign v3 attaches to a manifest (through
// the OCI referrers API, or the referrers tag "sha256-<hex>" on registries
// without it) and verifies them with sigstore-go against the policy of an
// index entry's signature.cosign block: a public key (fully offline), or a
// certificate identity and issuer checked against a trusted root read from
// a file (sigstore's trusted_root.json), so no network access to Sigstore
// is needed.
package signature
