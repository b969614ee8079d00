package artifact

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/internal/config"
)

// The driver type is in artifacts' type table: artifacts parse and
// recognise it, and the generic installer refuses it, naming the command
// that installs drivers.
func TestDriverTypeRegistered(t *testing.T) {
	spec, ok := artifacts.LookupType(Type)
	if !ok || spec.LayerMediaType != LayerMediaType || spec.ConfigMediaType != ConfigMediaType ||
		spec.DefaultDir != config.DefaultDriversDir || spec.Command != InstallCommand {
		t.Fatalf("driver spec = %+v, %v", spec, ok)
	}
	if ty, err := artifacts.ParseType("Driver"); err != nil || ty != Type {
		t.Fatalf("ParseType(driver) = %q, %v", ty, err)
	}
	if ty, ok := artifacts.TypeFromLayer(LayerMediaType); !ok || ty != Type {
		t.Fatalf("TypeFromLayer = %q, %v", ty, ok)
	}
	e := newEnv(t)
	e.push(t, "drivers/saker:1.0.0", PushOptions{Version: "1.0.0"})
	ref := e.reg.Host + "/drivers/saker:1.0.0"
	_, err := e.res.Resolve(context.Background(), ref, artifacts.ResolveOptions{})
	if !errors.Is(err, artifacts.ErrFormat) || !strings.Contains(err.Error(), InstallCommand) {
		t.Fatalf("generic resolve of a driver: %v, want ErrFormat naming %q", err, InstallCommand)
	}
	in := &artifacts.Installer{Resolver: e.res, State: e.state}
	if _, err := in.Install(context.Background(), []string{ref}, artifacts.InstallOptions{}); !errors.Is(err, artifacts.ErrFormat) {
		t.Fatalf("generic install of a driver: %v", err)
	}
	if recs, _ := e.state.List(); len(recs) != 0 {
		t.Fatalf("a refused install recorded %+v", recs)
	}
}
