package index

import "errors"

// Errors callers test with errors.Is. They are always wrapped with context
// (which index, which file, which line).
var (
	// ErrNotFound means no effective index has an artifact of that name.
	ErrNotFound = errors.New("artifact not found in any index")
	// ErrInvalidIndex means an index.yaml is malformed or fails validation.
	ErrInvalidIndex = errors.New("invalid index")
	// ErrUnknownIndex means a command named an index that is not configured.
	ErrUnknownIndex = errors.New("unknown index")
	// ErrConfigIndex means a command tried to remove an index that comes
	// from the configuration file, which sakerctl never rewrites.
	ErrConfigIndex = errors.New("index comes from the configuration file")
	// ErrFetch means an index could not be downloaded or read.
	ErrFetch = errors.New("cannot fetch index")
	// ErrBadSource means an index URL or backend is unusable.
	ErrBadSource = errors.New("bad index source")
)
