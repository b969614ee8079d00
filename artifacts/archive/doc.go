// Package archive extracts artifact layers (tar.gz) safely: only regular
// files and directories, never outside the destination, within size and
// entry limits. It has no dependencies beyond the standard library so that
// its fuzz target builds quickly.
package archive

import "errors"

// ErrUnsafe marks an archive that would write outside the destination,
// holds links, devices or FIFOs, is corrupt, or exceeds a limit.
var ErrUnsafe = errors.New("unsafe archive")
