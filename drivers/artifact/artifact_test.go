package artifact

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/drivers"
	"github.com/sakersec/saker/internal/testregistry"
	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/registry"
)

type env struct {
	reg    *testregistry.Registry
	client *registry.Client
	res    *artifacts.Resolver
	dir    string
	state  *artifacts.State
}

func newEnv(t *testing.T) *env {
	t.Helper()
	reg := testregistry.New(t, testregistry.Options{})
	c, err := registry.New(registry.Options{PlainHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	return &env{reg: reg, client: c, res: &artifacts.Resolver{Registry: c}, dir: filepath.Join(tmp, "drivers"), state: artifacts.OpenState(filepath.Join(tmp, "state"))}
}

func (e *env) push(t *testing.T, repoTag string, opts PushOptions) *PushResult {
	t.Helper()
	repo, err := e.client.Repository(e.reg.Host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Push(context.Background(), repo, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func otherArch() string {
	if runtime.GOARCH == "arm64" {
		return "amd64"
	}
	return "arm64"
}

// snapshot returns every file (content) and symlink (target) under dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			out[rel] = "-> " + target
			return err
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			out[rel] = string(b)
			return err
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

// TestPushFormat checks the wire format: an image index with one manifest
// per variant for this host's platform, Saker's media types, the variant
// annotated on each descriptor, and configs carrying the requirements.
func TestPushFormat(t *testing.T) {
	e := newEnv(t)
	res := e.push(t, "drivers/saker:1.0.0", PushOptions{Version: "1.0.0", FloatingTags: true})
	if strings.Join(res.Tags, ",") != "1.0.0,1,1.0" {
		t.Errorf("tags = %v", res.Tags)
	}
	r, err := Resolve(context.Background(), e.res, e.reg.Host+"/drivers/saker:^1")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Candidates) != 2 {
		t.Fatalf("%d candidates, want 2 (tp_btf, raw_tracepoint)", len(r.Candidates))
	}
	for i, c := range r.Candidates {
		if c.Config.Variant != Variants[i] || c.Config.Arch != runtime.GOARCH || c.Config.Name != "saker" || c.Config.Version != "1.0.0" {
			t.Errorf("candidate %d config = %+v", i, c.Config)
		}
		if c.Config.Requirements != DefaultRequirements() || !c.Config.Requirements.BTF {
			t.Errorf("requirements = %+v", c.Config.Requirements)
		}
		if c.Manifest.Annotations[AnnotationVariant] != string(Variants[i]) || c.Manifest.Platform == nil || c.Manifest.Platform.Architecture != runtime.GOARCH {
			t.Errorf("descriptor %d = %+v", i, c.Manifest)
		}
		if c.Layer.MediaType != LayerMediaType || c.Layer.Annotations[ocispec.AnnotationTitle] != "saker.bpf.tar.gz" {
			t.Errorf("layer = %+v", c.Layer)
		}
	}
	if r.Candidates[0].Layer.Digest != r.Candidates[1].Layer.Digest {
		t.Error("the same object should give one layer shared by both variants")
	}
}

// TestInstallRefusesWrongArchAndNewerKernel: a driver for another
// architecture and one needing a newer kernel are refused before anything
// is downloaded, and the active driver stays as it was.
func TestInstallRefusesWrongArchAndNewerKernel(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	loads := 0
	fake := func(path string, v drivers.Mode) error { loads++; return nil }
	host := Host{Release: "6.1.0-13-amd64", Arch: runtime.GOARCH, BTF: true}
	e.push(t, "drivers/good:1.0.0", PushOptions{Version: "1.0.0"})
	if _, err := Install(ctx, e.res, e.reg.Host+"/drivers/good:1.0.0", InstallOptions{Dir: e.dir, State: e.state, Host: &host, TestLoad: fake}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, e.dir)
	loads = 0

	e.push(t, "drivers/wrongarch:2.0.0", PushOptions{Version: "2.0.0", Platforms: []string{"linux/" + otherArch()}})
	_, err := Install(ctx, e.res, e.reg.Host+"/drivers/wrongarch:2.0.0", InstallOptions{Dir: e.dir, State: e.state, Host: &host, TestLoad: fake})
	if !errors.Is(err, ErrNoVariant) || !strings.Contains(err.Error(), "linux/"+otherArch()) {
		t.Errorf("wrong arch: err = %v, want ErrNoVariant naming linux/%s", err, otherArch())
	}

	e.push(t, "drivers/newer:2.0.0", PushOptions{Version: "2.0.0", Requirements: &Requirements{MinKernelRelease: "99.0", BTF: true}})
	_, err = Install(ctx, e.res, e.reg.Host+"/drivers/newer:2.0.0", InstallOptions{Dir: e.dir, State: e.state, Host: &host, TestLoad: fake})
	if !errors.Is(err, ErrRequirement) || !strings.Contains(err.Error(), "needs kernel 99.0 or newer, this host runs 6.1.0-13-amd64") {
		t.Errorf("newer kernel: err = %v, want ErrRequirement with both releases", err)
	}

	e.push(t, "drivers/rawonly:1.0.0", PushOptions{Version: "1.0.0", Variants: []drivers.Mode{drivers.ModeRawTracepoint}})
	_, err = Install(ctx, e.res, e.reg.Host+"/drivers/rawonly:1.0.0", InstallOptions{Dir: e.dir, State: e.state, Host: &host, TestLoad: fake, Variant: drivers.ModeTPBTF})
	if !errors.Is(err, ErrNoVariant) || !strings.Contains(err.Error(), "no tp_btf variant (available: linux/"+runtime.GOARCH+" raw_tracepoint)") {
		t.Errorf("missing variant: err = %v", err)
	}

	noBTF := host
	noBTF.BTF = false
	_, err = Install(ctx, e.res, e.reg.Host+"/drivers/good:1.0.0", InstallOptions{Dir: e.dir, State: e.state, Host: &noBTF, TestLoad: fake})
	if !errors.Is(err, ErrRequirement) || !strings.Contains(err.Error(), "BTF") {
		t.Errorf("no BTF: err = %v", err)
	}
	if loads != 0 {
		t.Errorf("%d test loads of refused drivers", loads)
	}
	if after := snapshot(t, e.dir); !maps.Equal(before, after) {
		t.Errorf("active driver changed by a refused install:\nbefore %v\nafter  %v", keys(before), keys(after))
	}
	rec, _ := e.state.Get("good")
	if rec == nil || rec.Version != "1.0.0" || rec.Type != Type {
		t.Errorf("state record = %+v", rec)
	}
}

// TestInstallFallsBackToRawTracepoint: when tp_btf fails its test load,
// the raw_tracepoint variant is installed.
func TestInstallFallsBackToRawTracepoint(t *testing.T) {
	e := newEnv(t)
	host := Host{Release: "6.18.0", Arch: runtime.GOARCH, BTF: true}
	var tried []drivers.Mode
	fake := func(path string, v drivers.Mode) error {
		tried = append(tried, v)
		if _, err := os.Stat(path); err != nil {
			t.Errorf("test load of a missing object: %v", err)
		}
		if v == drivers.ModeTPBTF {
			return errors.New("attach tp_btf: operation not permitted")
		}
		return nil
	}
	e.push(t, "drivers/saker:1.2.3", PushOptions{Version: "1.2.3"})
	inst, err := Install(context.Background(), e.res, e.reg.Host+"/drivers/saker:1", InstallOptions{Dir: e.dir, State: e.state, Host: &host, TestLoad: fake})
	if err != nil {
		t.Fatal(err)
	}
	if len(tried) != 2 || inst.Variant != drivers.ModeRawTracepoint {
		t.Fatalf("tried %v, installed %s", tried, inst.Variant)
	}
	act, err := Active(e.dir)
	if err != nil || act == nil {
		t.Fatalf("Active = %v, %v", act, err)
	}
	obj, _ := os.ReadFile(act.Object)
	if act.Variant != drivers.ModeRawTracepoint || act.Version != "1.2.3" || string(obj) != string(drivers.Object()) {
		t.Errorf("active = %+v (object %d bytes)", act.Config, len(obj))
	}
	// What an install killed an hour ago left behind goes; a running
	// install's staging directory (young) stays.
	stale := filepath.Join(e.dir, stagingPrefix+"killed")
	young := filepath.Join(e.dir, stagingPrefix+"running")
	_ = os.Mkdir(stale, 0o755)
	_ = os.Mkdir(young, 0o755)
	old := time.Now().Add(-time.Hour)
	_ = os.Chtimes(stale, old, old)
	if _, err := Install(context.Background(), e.res, e.reg.Host+"/drivers/saker:1", InstallOptions{Dir: e.dir, State: e.state, Host: &host, TestLoad: fake}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale staging directory kept: %v", err)
	}
	if err := os.Remove(young); err != nil {
		t.Errorf("young staging directory removed: %v", err)
	}
	if entries, _ := os.ReadDir(e.dir); len(entries) != 2 {
		t.Errorf("drivers dir holds %d entries, want the link and one driver directory (no staging left)", len(entries))
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestInstallAndLoad installs the current object for real (test load in
// the kernel), checks the loader picks it, then refuses a corrupt object
// without touching the active driver.
func TestInstallAndLoad(t *testing.T) {
	testutil.NeedBPF(t)
	e := newEnv(t)
	ctx := context.Background()
	e.push(t, "drivers/saker:1.0.0", PushOptions{Version: "1.0.0"})
	inst, err := Install(ctx, e.res, e.reg.Host+"/drivers/saker", InstallOptions{Dir: e.dir, State: e.state})
	if err != nil {
		t.Fatal(err)
	}
	if inst.Variant != drivers.ModeTPBTF {
		t.Errorf("installed %s, want tp_btf on this kernel", inst.Variant)
	}

	d, sel, err := LoadDriver(LoadDriverOptions{Dir: e.dir, Load: drivers.LoadOptions{RingBufferSize: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if sel.Source != SourceInstalled || sel.Installed == nil || sel.Installed.Object != inst.Object || d.Mode() != inst.Variant {
		t.Errorf("selection = %+v, mode %s; want the installed %s", sel, d.Mode(), inst.Object)
	}

	before := snapshot(t, e.dir)
	bad := filepath.Join(t.TempDir(), "corrupt.o")
	obj := append([]byte(nil), drivers.Object()...)
	copy(obj[len(obj)/2:], make([]byte, 4096))
	if err := os.WriteFile(bad, obj, 0o644); err != nil {
		t.Fatal(err)
	}
	e.push(t, "drivers/saker:2.0.0", PushOptions{Version: "2.0.0", Files: []string{bad}, skipCheck: true})
	_, err = Install(ctx, e.res, e.reg.Host+"/drivers/saker:2.0.0", InstallOptions{Dir: e.dir, State: e.state})
	if !errors.Is(err, ErrTestLoad) {
		t.Fatalf("corrupt object: err = %v, want ErrTestLoad", err)
	}
	if after := snapshot(t, e.dir); !maps.Equal(before, after) {
		t.Errorf("active driver changed by a refused install:\nbefore %v\nafter  %v", keys(before), keys(after))
	}
	rec, _ := e.state.Get("saker")
	if rec == nil || rec.Version != "1.0.0" {
		t.Errorf("state record = %+v, want 1.0.0 kept", rec)
	}
}

// TestLoadDriverFallsBack: with no installed driver, or one this host
// cannot use, the embedded object loads and the reason says why.
func TestLoadDriverFallsBack(t *testing.T) {
	testutil.NeedBPF(t)
	dir := t.TempDir()
	d, sel, err := LoadDriver(LoadDriverOptions{Dir: dir, Load: drivers.LoadOptions{RingBufferSize: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if sel.Source != SourceEmbedded || !strings.Contains(sel.Reason, "no driver installed in "+dir) {
		t.Errorf("selection = %+v", sel)
	}

	// An installed driver for another architecture.
	target := filepath.Join(dir, "x")
	_ = os.Mkdir(target, 0o755)
	meta, _ := json.Marshal(Installed{Config: Config{Name: "x", Version: "1.0.0", Arch: otherArch(), Variant: drivers.ModeTPBTF}})
	_ = os.WriteFile(filepath.Join(target, MetaFile), meta, 0o644)
	_ = os.WriteFile(filepath.Join(target, ObjectName), drivers.Object(), 0o644)
	if err := os.Symlink("x", filepath.Join(dir, CurrentLink)); err != nil {
		t.Fatal(err)
	}
	d, sel, err = LoadDriver(LoadDriverOptions{Dir: dir, Load: drivers.LoadOptions{RingBufferSize: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if sel.Source != SourceEmbedded || sel.Installed == nil || !strings.Contains(sel.Reason, "built for "+otherArch()) {
		t.Errorf("selection = %+v", sel)
	}
}

// TestPushRefusesNonObjects: a file that is not a Saker eBPF object, or
// lacks the programs of a variant, is refused before anything is pushed.
func TestPushRefusesNonObjects(t *testing.T) {
	e := newEnv(t)
	repo, _ := e.client.Repository(e.reg.Host + "/drivers/saker:1.0.0")
	yaml := filepath.Join(t.TempDir(), "rules.yaml")
	_ = os.WriteFile(yaml, []byte("[]\n"), 0o644)
	_, err := Push(context.Background(), repo, PushOptions{Version: "1.0.0", Files: []string{yaml}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "not an eBPF ELF object") {
		t.Errorf("yaml as a driver: %v", err)
	}
	_, err = Push(context.Background(), repo, PushOptions{Version: "1.0.0", Variants: []drivers.Mode{"kprobe"}})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown variant: %v", err)
	}
	if _, err := Resolve(context.Background(), e.res, e.reg.Host+"/drivers/saker:1.0.0"); err == nil {
		t.Error("a refused push left a tag behind")
	}
}

func TestHostCheck(t *testing.T) {
	h := Host{Release: "5.15.0-91-generic", Arch: "amd64", BTF: true}
	ok := Config{Arch: "amd64", Requirements: Requirements{MinKernelRelease: "5.15", BTF: true}}
	if err := h.Check(ok); err != nil {
		t.Errorf("5.15.0 meets 5.15: %v", err)
	}
	newer := ok
	newer.Requirements.MinKernelRelease = "5.17"
	if err := h.Check(newer); !errors.Is(err, ErrRequirement) {
		t.Errorf("5.15.0 meets 5.17: %v", err)
	}
	bad := ok
	bad.Requirements.MinKernelRelease = "five"
	if err := h.Check(bad); !errors.Is(err, ErrFormat) {
		t.Errorf("malformed minKernelRelease: %v", err)
	}
}
