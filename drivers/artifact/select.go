package artifact

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Choose returns the candidates this host can use, in the order to try
// them: tp_btf before raw_tracepoint. No candidate for the host's
// architecture fails with [ErrNoVariant]; candidates whose requirements
// the host does not meet fail with [ErrRequirement], each with its reason.
func Choose(cands []Candidate, h Host) ([]Candidate, error) {
	var archOK, usable []Candidate
	var avail []string
	for _, c := range cands {
		avail = append(avail, c.Label())
		if c.Config.Arch == h.Arch {
			archOK = append(archOK, c)
		}
	}
	if len(archOK) == 0 {
		return nil, fmt.Errorf("%w: nothing for linux/%s (available: %s)", ErrNoVariant, h.Arch, strings.Join(avail, ", "))
	}
	var errs []error
	for _, c := range archOK {
		if err := h.Check(c.Config); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.Label(), err))
			continue
		}
		usable = append(usable, c)
	}
	if len(usable) == 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortStableFunc(usable, func(a, b Candidate) int {
		return slices.Index(Variants, a.Config.Variant) - slices.Index(Variants, b.Config.Variant)
	})
	return usable, nil
}
