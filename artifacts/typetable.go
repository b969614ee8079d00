package artifacts

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/sakersec/saker/internal/config"
)

// TypeSpec describes one artifact type: how its OCI artifacts are
// recognised and where they install. falcoctl's three types are built in;
// other packages register theirs with [RegisterType] (drivers/artifact
// registers "driver").
type TypeSpec struct {
	Type Type
	// ConfigMediaType and LayerMediaType identify the type's manifests:
	// one config blob and one layer.
	ConfigMediaType string
	LayerMediaType  string
	// DefaultDir is the destination when InstallOptions.Dirs names none.
	DefaultDir string
	// Command, when set, is the only command that pushes and installs
	// artifacts of this type (the type needs more than files in a
	// directory); [Installer.Install], [Installer.Pull] and [Push] refuse
	// them, naming it.
	Command string
	// Uninstall, when set, removes an installed artifact of this type in
	// place of deleting rec.Files (which it must remove too).
	Uninstall func(rec Record, log *slog.Logger) error
}

// typeTable holds the registered types in registration order.
type typeTable struct {
	mu   sync.RWMutex
	list []TypeSpec
}

// registry_ is the process's type table (the trailing underscore keeps the
// name apart from the registry package).
var registry_ = &typeTable{list: []TypeSpec{
	{Type: Rulesfile, ConfigMediaType: RulesfileConfigMediaType, LayerMediaType: RulesfileLayerMediaType, DefaultDir: config.DefaultRulesfilesDir},
	{Type: Plugin, ConfigMediaType: PluginConfigMediaType, LayerMediaType: PluginLayerMediaType, DefaultDir: config.DefaultPluginsDir},
	{Type: Asset, ConfigMediaType: AssetConfigMediaType, LayerMediaType: AssetLayerMediaType, DefaultDir: config.DefaultAssetsDir},
}}

func (tt *typeTable) specs() []TypeSpec {
	tt.mu.RLock()
	defer tt.mu.RUnlock()
	return tt.list
}

// RegisterType adds an artifact type to the table; packages call it from
// init. A type without name or media types, or whose name or media types
// are taken, is a programming error and panics.
func RegisterType(spec TypeSpec) {
	if spec.Type == "" || spec.ConfigMediaType == "" || spec.LayerMediaType == "" {
		panic(fmt.Sprintf("artifacts.RegisterType(%q): type and media types are required", spec.Type))
	}
	registry_.mu.Lock()
	defer registry_.mu.Unlock()
	for _, s := range registry_.list {
		if s.Type == spec.Type || s.ConfigMediaType == spec.ConfigMediaType || s.LayerMediaType == spec.LayerMediaType {
			panic(fmt.Sprintf("artifacts.RegisterType(%q): clashes with type %q", spec.Type, s.Type))
		}
	}
	// Copy on write: readers keep the slice they got.
	registry_.list = append(registry_.list[:len(registry_.list):len(registry_.list)], spec)
}

// LookupType returns the spec of a registered type.
func LookupType(t Type) (TypeSpec, bool) {
	for _, s := range registry_.specs() {
		if s.Type == t {
			return s, true
		}
	}
	return TypeSpec{}, false
}

// RegisteredTypes lists the registered types: falcoctl's three, then the
// others in registration order.
func RegisteredTypes() []Type {
	var out []Type
	for _, s := range registry_.specs() {
		out = append(out, s.Type)
	}
	return out
}

// Types lists falcoctl's artifact types in a stable order;
// [RegisteredTypes] adds those other packages registered.
var Types = []Type{Rulesfile, Plugin, Asset}
