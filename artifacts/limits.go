package artifacts

import "github.com/sakersec/saker/artifacts/archive"

// Limits bound what a layer archive may hold; see [archive.Limits].
type Limits = archive.Limits

// DefaultLimits are the limits used when none are given.
var DefaultLimits = archive.DefaultLimits
