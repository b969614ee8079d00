package artifact_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/testregistry"
)

// `artifact follow` verifies signatures as install does: a new version
// that the index entry's key did not sign is not installed.
func TestFollowVerifiesSignatures(t *testing.T) {
	e := newEnv(t, testregistry.Options{})
	src := t.TempDir()
	e.push(e.reg.Ref("rules/followed", "1.0.0"), writeFile(t, filepath.Join(src, "followed.yaml"), "- list: followed\n  items: []\n"), "--type", "rulesfile", "--version", "1.0.0")
	var pub string
	attachBundle(t, e, "rules/followed", "1.0.0", func(stmt []byte) []byte {
		b, p := signWithKey(t, stmt)
		pub = p
		return b
	})
	_, otherPub := signWithKey(t, []byte("{}"))
	signedIndex(t, e, "followed", "rules/followed", "      key: "+writeFile(t, filepath.Join(src, "release.pub"), pub)+"\n      ignore-tlog: true\n")
	signedIndex(t, e, "followed-other", "rules/followed", "      key: "+writeFile(t, filepath.Join(src, "other.pub"), otherPub)+"\n      ignore-tlog: true\n")
	dest := filepath.Join(e.rules, "followed.yaml")

	_, errOut, code := e.run(append([]string{"artifact", "follow", "followed-other:1.0.0", "--once"}, e.transport...)...)
	if code == 0 || !strings.Contains(errOut, "signature verification failed") {
		t.Fatalf("follow of a wrongly signed artifact: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Fatalf("follow installed an artifact whose signature failed (%v)", err)
	}

	_, errOut, code = e.run(append([]string{"artifact", "follow", "followed:1.0.0", "--once"}, e.transport...)...)
	if code != 0 || !strings.Contains(errOut, "signature verified") {
		t.Fatalf("follow of a signed artifact: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(dest); err != nil {
		t.Fatalf("follow did not install the signed artifact: %v", err)
	}

	_, errOut, code = e.run(append([]string{"artifact", "follow", "followed-other:1.0.0", "--once", "--no-verify", "--rulesfiles-dir", t.TempDir()}, e.transport...)...)
	if code != 0 || !strings.Contains(errOut, "signature NOT verified") {
		t.Fatalf("follow --no-verify: exit %d\n%s", code, errOut)
	}
}
