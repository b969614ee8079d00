package signature_test

import (
	"context"
	"errors"
	"fmt"

	"oras.land/oras-go/v2/registry/remote"

	"github.com/sakersec/saker/artifacts/signature"
	"github.com/sakersec/saker/index"
)

// Verify an artifact signed keylessly in GitHub Actions against a trusted
// root saved beforehand, before installing it.
func ExampleVerify() {
	repo, err := remote.NewRepository("ghcr.io/falcosecurity/rules/falco-rules")
	if err != nil {
		panic(err)
	}
	res, err := signature.Verify(context.Background(), signature.Options{
		Repository: repo,
		Ref:        "ghcr.io/falcosecurity/rules/falco-rules:4",
		Digest:     "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		Policy: &index.CosignSignature{
			CertificateOidcIssuer:     "https://token.actions.githubusercontent.com",
			CertificateIdentityRegexp: `^https://github\.com/falcosecurity/rules/`,
		},
		TrustedRootFile: "/etc/saker/trusted_root.json",
	})
	switch {
	case errors.Is(err, signature.ErrNoSignature), errors.Is(err, signature.ErrVerification):
		fmt.Println("refusing to install:", err)
	case err != nil:
		fmt.Println("cannot check the signature:", err)
	default:
		fmt.Println("signed by", res.Identity)
	}
}
