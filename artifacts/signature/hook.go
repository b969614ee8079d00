package signature

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/sakersec/saker/artifacts"
)

// HookOptions configure [InstallHook].
type HookOptions struct {
	// TrustedRootFile is sigstore's trusted_root.json (see
	// [Options.TrustedRootFile]).
	TrustedRootFile string
	// Skip turns verification off (--no-verify, artifact.noVerify): each
	// artifact whose index entry asks for a signature is installed with
	// a warning instead.
	Skip bool
	// Logger receives the warnings and the verification results; nil
	// discards them.
	Logger *slog.Logger
}

// InstallHook returns an [artifacts.Installer] Verify hook. Artifacts
// resolved through an index entry with a signature.cosign block are
// verified against the root digest their tag points to before anything is
// downloaded; full references and entries without a signature pass, as in
// falcoctl.
func InstallHook(opts HookOptions) func(context.Context, *artifacts.Artifact) error {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, a *artifacts.Artifact) error {
		if a.Entry == nil || a.Entry.Signature == nil || a.Entry.Signature.Cosign == nil {
			log.Debug("no signature to verify: the index entry asks for none", "artifact", a.Name, "ref", a.Ref)
			return nil
		}
		if opts.Skip {
			log.Warn("signature NOT verified (--no-verify / artifact.noVerify): installing an artifact whose index entry requires a cosign signature", "artifact", a.Name, "ref", a.Ref, "digest", a.Digest)
			return nil
		}
		repo := a.Repo()
		if repo == nil {
			return fmt.Errorf("%s: %w: the artifact has no repository to read signatures from", a.Ref, ErrPolicy)
		}
		res, err := Verify(ctx, Options{
			Repository:      repo,
			Ref:             a.Ref,
			Digest:          a.Digest,
			Policy:          a.Entry.Signature.Cosign,
			TrustedRootFile: opts.TrustedRootFile,
			Logger:          log,
		})
		if err != nil {
			return err
		}
		attrs := []any{"artifact", a.Name, "ref", a.Ref, "digest", a.Digest, "bundle", res.Bundle}
		if res.KeyBased {
			attrs = append(attrs, "key", true)
		} else {
			attrs = append(attrs, "identity", res.Identity, "issuer", res.Issuer)
		}
		log.Info("signature verified", attrs...)
		return nil
	}
}
