package artifact

import (
	"errors"
	"fmt"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/drivers"
	"github.com/sakersec/saker/internal/config"
)

// Media types and annotations of driver artifacts (Saker's own; falcoctl
// does not know them, so `sakerctl artifact install` leaves drivers alone).
const (
	ConfigMediaType = "application/vnd.sakersec.saker.driver.config.v1+json"
	LayerMediaType  = "application/vnd.sakersec.saker.driver.layer.v1+tar.gz"
	// AnnotationVariant on a manifest descriptor of the image index names
	// its attach variant, beside the descriptor's platform (OS/arch), so a
	// client picks a manifest without fetching every config.
	AnnotationVariant = "io.sakersec.saker.driver.variant"
)

// Type is the artifact type recorded in the install state.
const Type artifacts.Type = "driver"

// InstallCommand is the command that installs driver artifacts: they need
// a host check, a test load and an atomic switch of the active driver,
// which `sakerctl artifact install` does not do.
const InstallCommand = "sakerctl driver install"

// The driver type in artifacts' type table: artifacts recognise driver
// manifests (resolution, index search types, allowed types, the install
// state) and leave installing them to [Install].
func init() {
	artifacts.RegisterType(artifacts.TypeSpec{
		Type: Type, ConfigMediaType: ConfigMediaType, LayerMediaType: LayerMediaType,
		DefaultDir: config.DefaultDriversDir, Command: InstallCommand, Uninstall: uninstall,
	})
}

// ObjectName is the file name of the object inside the layer when it is
// pushed from the embedded copy.
const ObjectName = "saker.bpf.o"

// Variants lists the attach variants in order of preference.
var Variants = []drivers.Mode{drivers.ModeTPBTF, drivers.ModeRawTracepoint}

// Config is the JSON of a driver manifest's config blob: one per
// architecture and variant.
type Config struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Arch is a Go architecture name (amd64, arm64), as in OCI platforms.
	Arch string `json:"arch"`
	// Variant is the kind of programs the driver attaches: tp_btf or
	// raw_tracepoint.
	Variant      drivers.Mode `json:"variant"`
	Requirements Requirements `json:"requirements"`
}

// Requirements are what the host must offer for the driver to load.
type Requirements struct {
	// MinKernelRelease is the oldest kernel, "MAJOR.MINOR" (e.g. "5.17").
	MinKernelRelease string `json:"minKernelRelease,omitempty"`
	// BTF requires the kernel's own BTF (/sys/kernel/btf/vmlinux), which
	// CO-RE relocations need.
	BTF bool `json:"btf"`
}

// DefaultRequirements are those of the object built from this tree.
func DefaultRequirements() Requirements {
	return Requirements{MinKernelRelease: fmt.Sprintf("%d.%d", drivers.MinKernel[0], drivers.MinKernel[1]), BTF: true}
}

// ParseVariant checks a variant name.
func ParseVariant(s string) (drivers.Mode, error) {
	for _, v := range Variants {
		if string(v) == s {
			return v, nil
		}
	}
	return "", fmt.Errorf("variant %q: %w: want tp_btf or raw_tracepoint", s, ErrInvalid)
}

// Errors of this package, wrapped with context; test them with errors.Is.
var (
	// ErrInvalid marks bad input: a flag value, a version, a platform.
	ErrInvalid = artifacts.ErrInvalid
	// ErrFormat marks an artifact that is not a Saker driver.
	ErrFormat = errors.New("not a Saker driver artifact")
	// ErrNoVariant marks an artifact without a manifest for this
	// architecture.
	ErrNoVariant = errors.New("no driver for this architecture")
	// ErrRequirement marks a driver whose requirements (kernel release,
	// BTF) this host does not meet.
	ErrRequirement = artifacts.ErrRequirement
	// ErrTestLoad marks a driver that the kernel refused to load or
	// attach; nothing was activated.
	ErrTestLoad = errors.New("driver failed its test load")
)
