package artifacts

import (
	"fmt"
	"strings"
)

// Type is the kind of a Falco artifact.
type Type string

// Artifact types, as falcoctl names them.
const (
	Rulesfile Type = "rulesfile"
	Plugin    Type = "plugin"
	Asset     Type = "asset"
)

// Media types of falcoctl's artifacts.
const (
	RulesfileConfigMediaType = "application/vnd.cncf.falco.rulesfile.config.v1+json"
	RulesfileLayerMediaType  = "application/vnd.cncf.falco.rulesfile.layer.v1+tar.gz"
	PluginConfigMediaType    = "application/vnd.cncf.falco.plugin.config.v1+json"
	PluginLayerMediaType     = "application/vnd.cncf.falco.plugin.layer.v1+tar.gz"
	AssetConfigMediaType     = "application/vnd.cncf.falco.asset.config.v1+json"
	AssetLayerMediaType      = "application/vnd.cncf.falco.asset.layer.v1+tar.gz"
)

// ParseType parses a type name: one of the registered types.
func ParseType(s string) (Type, error) {
	t := Type(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := LookupType(t); ok {
		return t, nil
	}
	var names []string
	for _, r := range RegisteredTypes() {
		names = append(names, string(r))
	}
	return "", fmt.Errorf("artifact type %q: %w: want %s", s, ErrInvalid, joinOr(names))
}

func joinOr(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// ParseTypes parses a list of type names; each element may itself be
// comma-separated.
func ParseTypes(list []string) ([]Type, error) {
	var out []Type
	for _, s := range list {
		for _, part := range strings.Split(s, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			t, err := ParseType(part)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// LayerMediaType is the media type of t's single layer ("" for a type
// that is not registered).
func (t Type) LayerMediaType() string {
	spec, _ := LookupType(t)
	return spec.LayerMediaType
}

// ConfigMediaType is the media type of t's config blob.
func (t Type) ConfigMediaType() string {
	spec, _ := LookupType(t)
	return spec.ConfigMediaType
}

// TypeFromLayer returns the registered artifact type a layer media type
// denotes.
func TypeFromLayer(mediaType string) (Type, bool) {
	for _, spec := range registry_.specs() {
		if spec.LayerMediaType == mediaType {
			return spec.Type, true
		}
	}
	return "", false
}

// TypeFromConfig returns the registered artifact type a config media type
// denotes.
func TypeFromConfig(mediaType string) (Type, bool) {
	for _, spec := range registry_.specs() {
		if spec.ConfigMediaType == mediaType {
			return spec.Type, true
		}
	}
	return "", false
}
