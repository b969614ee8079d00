package artifacts

import (
	"strings"
	"testing"
)

func TestRegisterTypeRefusesClashes(t *testing.T) {
	for name, spec := range map[string]TypeSpec{
		"taken name":        {Type: Rulesfile, ConfigMediaType: "a/config", LayerMediaType: "a/layer"},
		"taken layer type":  {Type: "x1", ConfigMediaType: "a/config", LayerMediaType: PluginLayerMediaType},
		"taken config type": {Type: "x2", ConfigMediaType: AssetConfigMediaType, LayerMediaType: "a/layer"},
		"no media types":    {Type: "x3"},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "RegisterType") {
					t.Fatalf("RegisterType(%+v) did not panic: %v", spec, r)
				}
			}()
			RegisterType(spec)
		})
	}
	if len(RegisteredTypes()) < 3 || RegisteredTypes()[0] != Rulesfile {
		t.Fatalf("table changed: %v", RegisteredTypes())
	}
	if _, err := ParseType("kmod"); err == nil || !strings.Contains(err.Error(), "want rulesfile, plugin") {
		t.Fatalf("ParseType(kmod) = %v", err)
	}
	if DefaultDirs()[Plugin] != "/usr/share/falco/plugins" {
		t.Fatalf("default plugin dir %q", DefaultDirs()[Plugin])
	}
}
