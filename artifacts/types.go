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

// Types lists the artifact types in a stable order.
var Types = []Type{Rulesfile, Plugin, Asset}

// Media types of falcoctl's artifacts.
const (
	RulesfileConfigMediaType = "application/vnd.cncf.falco.rulesfile.config.v1+json"
	RulesfileLayerMediaType  = "application/vnd.cncf.falco.rulesfile.layer.v1+tar.gz"
	PluginConfigMediaType    = "application/vnd.cncf.falco.plugin.config.v1+json"
	PluginLayerMediaType     = "application/vnd.cncf.falco.plugin.layer.v1+tar.gz"
	AssetConfigMediaType     = "application/vnd.cncf.falco.asset.config.v1+json"
	AssetLayerMediaType      = "application/vnd.cncf.falco.asset.layer.v1+tar.gz"
)

// ParseType parses a type name.
func ParseType(s string) (Type, error) {
	switch t := Type(strings.ToLower(strings.TrimSpace(s))); t {
	case Rulesfile, Plugin, Asset:
		return t, nil
	}
	return "", fmt.Errorf("artifact type %q: %w: want rulesfile, plugin or asset", s, ErrInvalid)
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

// LayerMediaType is the media type of t's single layer.
func (t Type) LayerMediaType() string {
	switch t {
	case Rulesfile:
		return RulesfileLayerMediaType
	case Plugin:
		return PluginLayerMediaType
	case Asset:
		return AssetLayerMediaType
	}
	return ""
}

// ConfigMediaType is the media type of t's config blob.
func (t Type) ConfigMediaType() string {
	switch t {
	case Rulesfile:
		return RulesfileConfigMediaType
	case Plugin:
		return PluginConfigMediaType
	case Asset:
		return AssetConfigMediaType
	}
	return ""
}

// TypeFromLayer returns the artifact type a layer media type denotes.
func TypeFromLayer(mediaType string) (Type, bool) {
	for _, t := range Types {
		if t.LayerMediaType() == mediaType {
			return t, true
		}
	}
	return "", false
}

// TypeFromConfig returns the artifact type a config media type denotes.
func TypeFromConfig(mediaType string) (Type, bool) {
	for _, t := range Types {
		if t.ConfigMediaType() == mediaType {
			return t, true
		}
	}
	return "", false
}
