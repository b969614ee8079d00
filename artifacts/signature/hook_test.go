package signature_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/artifacts/signature"
	"github.com/sakersec/saker/index"
	"github.com/sakersec/saker/internal/testregistry"
	"github.com/sakersec/saker/registry"
)

// entries is an index held in memory.
type entries map[string]*index.Entry

func (e entries) Lookup(_ context.Context, name string) (*index.Entry, error) {
	if en, ok := e[name]; ok {
		return en, nil
	}
	return nil, fmt.Errorf("%s: %w", name, index.ErrNotFound)
}

// pushFalco pushes an artifact in falcoctl's format and returns it as a
// fixture whose digest is the root digest (the image index of a plugin).
func pushFalco(t *testing.T, c *registry.Client, host, repo string, typ artifacts.Type) fixture {
	t.Helper()
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "lib"+filepath.Base(repo)+".so")
	if typ == artifacts.Rulesfile {
		src = filepath.Join(filepath.Dir(src), filepath.Base(repo)+".yaml")
	}
	if err := os.WriteFile(src, []byte("- list: "+filepath.Base(repo)+"\n  items: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ref := host + "/" + repo + ":1.0.0"
	r, err := c.Repository(ref)
	if err != nil {
		t.Fatal(err)
	}
	res, err := artifacts.Push(ctx, r, artifacts.PushOptions{Type: typ, Files: []string{src}, Config: artifacts.Config{Version: "1.0.0"}})
	if err != nil {
		t.Fatal(err)
	}
	desc, err := r.Resolve(ctx, res.Digest)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{repo: r, ref: ref, digest: digest.Digest(res.Digest), desc: desc}
}

func TestInstallHook(t *testing.T) {
	reg := testregistry.New(t, testregistry.Options{})
	c, err := registry.New(registry.Options{PlainHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	rules := pushFalco(t, c, reg.Host, "rules/signed", artifacts.Rulesfile)
	bundle, pub := keySign(t, statement(rules.digest))
	attach(t, rules, bundle)
	plugin := pushFalco(t, c, reg.Host, "plugins/signedplugin", artifacts.Plugin)
	bundle, pluginPub := keySign(t, statement(plugin.digest))
	attach(t, plugin, bundle)
	unsigned := pushFalco(t, c, reg.Host, "rules/unsigned", artifacts.Rulesfile)
	_, otherPub := keySign(t, statement(rules.digest))

	entry := func(name, repo, key string) *index.Entry {
		e := &index.Entry{Name: name, Type: "rulesfile", Registry: reg.Host, Repository: repo}
		if key != "" {
			e.Signature = &index.Signature{Cosign: &index.CosignSignature{Key: key, IgnoreTlog: true}}
		}
		return e
	}
	idx := entries{
		"signed":       entry("signed", "rules/signed", pub),
		"signedplugin": entry("signedplugin", "plugins/signedplugin", pluginPub),
		"wrongkey":     entry("wrongkey", "rules/signed", otherPub),
		"unsigned":     entry("unsigned", "rules/unsigned", pub),
		"nopolicy":     entry("nopolicy", "rules/unsigned", ""),
	}

	install := func(t *testing.T, opts signature.HookOptions, ref string) (string, error) {
		dir := t.TempDir()
		var logs bytes.Buffer
		opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		in := &artifacts.Installer{
			Resolver: &artifacts.Resolver{Registry: c, Index: idx},
			State:    artifacts.OpenState(filepath.Join(dir, "state")),
			Engine:   artifacts.DefaultEngine(),
			Verify:   signature.InstallHook(opts),
		}
		dest := filepath.Join(dir, "dest")
		_, err := in.Install(context.Background(), []string{ref}, artifacts.InstallOptions{
			Dirs:     map[artifacts.Type]string{artifacts.Rulesfile: dest, artifacts.Plugin: dest},
			Platform: runtime.GOOS + "/" + runtime.GOARCH,
		})
		files, _ := os.ReadDir(dest)
		if err != nil && len(files) > 0 {
			t.Errorf("%s: files written although the install failed: %v", ref, files)
		}
		if err == nil && len(files) != 1 {
			t.Errorf("%s: installed %d files, want 1", ref, len(files))
		}
		return logs.String(), err
	}

	for _, ref := range []string{"signed", "signedplugin", "nopolicy", unsigned.ref} {
		logs, err := install(t, signature.HookOptions{}, ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if verified := strings.Contains(logs, "signature verified"); verified != (ref == "signed" || ref == "signedplugin") {
			t.Errorf("%s: logs say verified=%v:\n%s", ref, verified, logs)
		}
	}
	_, err = install(t, signature.HookOptions{}, "wrongkey")
	wantErr(t, err, signature.ErrVerification, "--no-verify")
	_, err = install(t, signature.HookOptions{}, "unsigned")
	wantErr(t, err, signature.ErrNoSignature, "--no-verify")

	logs, err := install(t, signature.HookOptions{Skip: true}, "unsigned")
	if err != nil {
		t.Fatalf("unsigned with Skip: %v", err)
	}
	if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "NOT verified") {
		t.Errorf("no warning when skipping a required signature:\n%s", logs)
	}
}
