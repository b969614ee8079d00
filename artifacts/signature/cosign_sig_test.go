package signature_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sakersec/saker/artifacts/signature"
	"github.com/sakersec/saker/index"
	"github.com/sakersec/saker/internal/testutil"
)

// cosign runs the cosign CLI offline: no transparency log, no signing
// config from the Sigstore TUF repository.
func cosign(t *testing.T, bin, home string, args ...string) string {
	t.Helper()
	c := exec.Command(bin, args...)
	c.Dir = home
	c.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "COSIGN_PASSWORD=", "TUF_ROOT=" + filepath.Join(home, "tuf"), "COSIGN_YES=true"}
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("cosign %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Bundles the real cosign v3 CLI attaches verify, through the referrers
// API and through the referrers tag.
func TestVerifyCosignCLIBundles(t *testing.T) {
	bin := testutil.NeedTool(t, "cosign", "go install github.com/sigstore/cosign/v3/cmd/cosign@v3.0.6")
	home := t.TempDir()
	cosign(t, bin, home, "generate-key-pair", "--output-key-prefix", filepath.Join(home, "release"))
	pub := filepath.Join(home, "release.pub")
	cosign(t, bin, home, "generate-key-pair", "--output-key-prefix", filepath.Join(home, "other"))

	for kind, host := range registries(t) {
		t.Run(kind, func(t *testing.T) {
			f := pushArtifact(t, host, "cosigned")
			unsigned := pushArtifact(t, host, "cosign-unsigned")
			cosign(t, bin, home, "sign", "--key", filepath.Join(home, "release.key"),
				"--tlog-upload=false", "--use-signing-config=false", "--new-bundle-format",
				"--allow-http-registry", "--yes", f.repo.Reference.Registry+"/"+f.repo.Reference.Repository+"@"+f.digest.String())

			res, err := verify(t, f, &index.CosignSignature{Key: pub, IgnoreTlog: true}, "")
			if err != nil {
				t.Fatalf("cosign-signed artifact: %v", err)
			}
			if !res.KeyBased {
				t.Errorf("result = %+v", res)
			}
			_, err = verify(t, f, &index.CosignSignature{Key: filepath.Join(home, "other.pub"), IgnoreTlog: true}, "")
			wantErr(t, err, signature.ErrVerification)
			_, err = verify(t, unsigned, &index.CosignSignature{Key: pub, IgnoreTlog: true}, "")
			wantErr(t, err, signature.ErrNoSignature)
		})
	}
}
