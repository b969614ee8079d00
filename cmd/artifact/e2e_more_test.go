package artifact_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/testregistry"
)

// TestFullRefWorksWithIndexesUnreachable: an air-gapped host whose index
// cannot be fetched still installs by full reference.
func TestFullRefWorksWithIndexesUnreachable(t *testing.T) {
	e := newEnv(t, testregistry.Options{})
	cfg := readFile(t, e.cfgFile) + "indexes:\n  - name: unreachable\n    url: http://127.0.0.1:1/index.yaml\n"
	writeFile(t, e.cfgFile, cfg)
	src := t.TempDir()
	ref := e.reg.Ref("rules/airgap", "1.0.0")
	// Depends only on plugins the sensor has built in.
	e.push(ref, writeFile(t, filepath.Join(src, "airgap.yaml"), "- required_plugin_versions:\n  - name: k8saudit\n    version: 0.7.0\n"),
		"--type", "rulesfile", "--version", "1.0.0")
	_, errOut, code := e.run(append([]string{"artifact", "install", ref}, e.transport...)...)
	if code != 0 {
		t.Fatalf("full ref with an unreachable index: exit %d\n%s", code, errOut)
	}
	// Looking the k8saudit dependency up by name is the one thing that needs
	// an index: that may warn, nothing may fail.
	for _, l := range strings.Split(errOut, "\n") {
		if strings.Contains(l, "level=ERROR") || (strings.Contains(l, "level=WARN") && !strings.Contains(l, "index=unreachable")) {
			t.Fatalf("full ref install with an unreachable index logged:\n%s", errOut)
		}
	}
	if !strings.Contains(errOut, "built-in plugin") {
		t.Fatalf("no log about the built-in k8saudit dependency:\n%s", errOut)
	}
	if _, err := os.Stat(filepath.Join(e.rules, "airgap.yaml")); err != nil {
		t.Fatal(err)
	}
	// A name, on the other hand, cannot be resolved and says why.
	e.installFails("no index could be read", "airgap")
}

func TestInstallRefsFromConfigPullAndList(t *testing.T) {
	e := newEnv(t, testregistry.Options{})
	publish(t, e)

	// artifact list shows the merged index entries.
	var entries []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal([]byte(e.ok("artifact", "list", "-o", "json")), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Name != "my-rules" || entries[1].Type != "plugin" {
		t.Fatalf("artifact list: %+v", entries)
	}

	// Without REF, install takes artifact.install.refs.
	cfg := strings.Replace(readFile(t, e.cfgFile), "  install:\n", "  install:\n    refs: [\"my-rules:~1.2.0\"]\n    resolveDeps: false\n", 1)
	writeFile(t, e.cfgFile, cfg)
	out := e.install()
	if !strings.Contains(out, "my-rules 1.2.5") {
		t.Fatalf("install from artifact.install.refs: %s", out)
	}
	if st := e.installed(); len(st) != 1 {
		t.Fatalf("resolveDeps: false from the configuration ignored: %+v", st)
	}

	// A digest pins the exact artifact; a dependency incompatible with an
	// artifact asked for in the same install is a conflict.
	dgst := e.installed()["my-rules"].Digest
	e.ok("artifact", "uninstall", "my-rules")
	e.install("my-rules@" + dgst)
	if st := e.installed(); st["my-rules"].Digest != dgst || st["my-rules"].Version != "1.2.5" {
		t.Fatalf("install by digest: %+v", st["my-rules"])
	}
	pushPlugin(t, e, "2.0.0")
	e.installFails("but myplugin 2.0.0 is being installed", "myplugin:2.0.0", "my-rules:1.2.0", "--resolve-deps")

	// registry pull extracts without installing.
	dest := filepath.Join(t.TempDir(), "pulled")
	e.ok(append([]string{"registry", "pull", "myplugin:1", "--dest", dest, "--platform", "linux/" + otherArch()}, e.transport...)...)
	if got := readFile(t, filepath.Join(dest, "libmyplugin.so")); got != "plugin for other" {
		t.Fatalf("pulled %q, want the other platform's build", got)
	}
	if st := e.installed(); len(st) != 1 {
		t.Fatalf("pull changed the state store: %+v", st)
	}

	// The manifest of a plugin is an image index with both platforms.
	man := e.ok(append([]string{"artifact", "manifest", "myplugin:1.0.0"}, e.transport...)...)
	if !strings.Contains(man, "application/vnd.oci.image.index.v1+json") || strings.Count(man, `"architecture"`) != 2 {
		t.Fatalf("plugin manifest:\n%s", man)
	}
}

func TestAssetInstallsIntoAssetsDir(t *testing.T) {
	e := newEnv(t, testregistry.Options{})
	ref := e.reg.Ref("assets/geo", "0.1.0")
	e.push(ref, writeFile(t, filepath.Join(t.TempDir(), "geo.mmdb"), "geo data"), "--type", "asset", "--version", "0.1.0")
	e.install(ref)
	if got := readFile(t, filepath.Join(e.assets, "geo.mmdb")); got != "geo data" {
		t.Fatalf("asset = %q", got)
	}
	if st := e.installed(); st["geo"].Type != "asset" {
		t.Fatalf("state: %+v", st)
	}
	e.installFails("artifact type not allowed", ref, "--allowed-types", "rulesfile,plugin")
}

// TestSignedIndexEntryNeedsSignature: an index entry that names a cosign
// key makes install refuse an unsigned artifact before downloading it;
// --no-verify installs it with a warning.
func TestSignedIndexEntryNeedsSignature(t *testing.T) {
	e := newEnv(t, testregistry.Options{})
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	keyFile := writeFile(t, filepath.Join(src, "cosign.pub"), string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
	e.push(e.reg.Ref("rules/signed", "1.0.0"), writeFile(t, filepath.Join(src, "signed.yaml"), "- list: s\n"), "--type", "rulesfile", "--version", "1.0.0")
	idx := writeFile(t, filepath.Join(src, "index.yaml"), `- name: signed
  type: rulesfile
  registry: `+e.reg.Host+`
  repository: rules/signed
  description: needs a signature
  home: https://example.org
  keywords: [signed]
  license: Apache-2.0
  maintainers: [{name: Demo, email: demo@example.org}]
  sources: [https://example.org]
  signature:
    cosign:
      key: `+keyFile+`
`)
	e.ok("index", "add", "signed", "file://"+idx)
	e.installFails("no signature found", "signed:1.0.0")
	if _, err := os.Stat(filepath.Join(e.rules, "signed.yaml")); !os.IsNotExist(err) {
		t.Fatalf("unsigned artifact installed (%v)", err)
	}
	_, errOut, code := e.run(append([]string{"artifact", "install", "signed:1.0.0", "--no-verify"}, e.transport...)...)
	if code != 0 || !strings.Contains(errOut, "signature NOT verified") {
		t.Fatalf("--no-verify: exit %d\n%s", code, errOut)
	}
	// A full reference carries no signature policy and installs as is.
	e.install(e.reg.Ref("rules/signed", "1.0.0"))
}
