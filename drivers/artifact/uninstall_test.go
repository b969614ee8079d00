package artifact

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/drivers"
)

// `artifact uninstall` of the active driver removes the current link with
// its directory, so the sensor finds no installed driver (and loads the
// embedded one) instead of a link to nothing.
func TestUninstallActiveDriverRemovesLink(t *testing.T) {
	e := newEnv(t)
	host := Host{Release: "6.18.0", Arch: runtime.GOARCH, BTF: true}
	fake := func(string, drivers.Mode) error { return nil }
	e.push(t, "drivers/saker:1.0.0", PushOptions{Version: "1.0.0"})
	if _, err := Install(context.Background(), e.res, e.reg.Host+"/drivers/saker:1.0.0", InstallOptions{Dir: e.dir, State: e.state, Host: &host, TestLoad: fake}); err != nil {
		t.Fatal(err)
	}
	in := &artifacts.Installer{State: e.state}
	rec, err := in.Uninstall("saker")
	if err != nil || rec.Type != Type {
		t.Fatalf("Uninstall = %+v, %v", rec, err)
	}
	if _, err := os.Lstat(filepath.Join(e.dir, CurrentLink)); !os.IsNotExist(err) {
		t.Fatalf("the current link survived the uninstall: %v", err)
	}
	if entries, _ := os.ReadDir(e.dir); len(entries) != 0 {
		t.Fatalf("drivers directory not empty after uninstall: %v", entries)
	}
	if act, err := Active(e.dir); act != nil || err != nil {
		t.Fatalf("Active after uninstall = %+v, %v; want no driver", act, err)
	}
	if recs, _ := e.state.List(); len(recs) != 0 {
		t.Fatalf("state after uninstall: %+v", recs)
	}
}

// A link to a removed directory (what uninstall left before) is reported
// as such, and the sensor's selection falls back with that reason.
func TestActiveDanglingLink(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink("gone", filepath.Join(dir, CurrentLink)); err != nil {
		t.Fatal(err)
	}
	_, err := Active(dir)
	if err == nil || !strings.Contains(err.Error(), `points at "gone"`) || !strings.Contains(err.Error(), "sakerctl driver install") {
		t.Fatalf("Active with a dangling link: %v", err)
	}
}
