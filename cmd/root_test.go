package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/internal/version"
)

func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := cli.NewFactory()
	f.IO = cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	f.Options.ConfigFile = t.TempDir() + "/missing.yaml"
	code := Execute(context.Background(), f, args)
	return out.String(), errOut.String(), code
}

func TestVersionJSON(t *testing.T) {
	out, _, code := runCLI(t, "version", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var info version.Info
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("version -o json is not JSON: %v\n%s", err, out)
	}
	if info.EngineVersionSemver != version.EngineVersionSemver {
		t.Fatalf("engine version %q, want %q", info.EngineVersionSemver, version.EngineVersionSemver)
	}
}

func TestBadGlobalFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--log-level", "loud", "version"},
		{"--log-format", "xml", "version"},
		{"version", "-o", "yaml"},
	} {
		_, errOut, code := runCLI(t, args...)
		if code == 0 {
			t.Errorf("%v: exit 0, want failure", args)
		}
		if !strings.Contains(errOut, "want") {
			t.Errorf("%v: error does not say what is accepted: %q", args, errOut)
		}
	}
}
