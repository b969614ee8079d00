package artifacts

import (
	"errors"

	"github.com/sakersec/saker/artifacts/archive"
)

// Errors returned (wrapped with context) by this package.
var (
	// ErrInvalid marks bad user input: a malformed reference, version,
	// dependency or flag value.
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound marks a tag, digest, version or platform that does not
	// exist in the repository.
	ErrNotFound = errors.New("not found")
	// ErrNotAllowed marks an artifact whose type is not in the allowed
	// types.
	ErrNotAllowed = errors.New("artifact type not allowed")
	// ErrRequirement marks an artifact whose requirements the bundled
	// sensor does not meet (override with --force).
	ErrRequirement = errors.New("requirement not met")
	// ErrDigestMismatch marks downloaded content whose digest or size
	// differs from its descriptor.
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrUnsafeArchive marks a layer archive that would write outside the
	// destination, holds links or devices, or exceeds a size limit.
	ErrUnsafeArchive = archive.ErrUnsafe
	// ErrNotInstalled marks an uninstall of an artifact that is not in
	// the state store.
	ErrNotInstalled = errors.New("artifact not installed")
	// ErrFormat marks an OCI artifact that is not a Falco artifact in
	// falcoctl's format.
	ErrFormat = errors.New("not a Falco artifact")
)
