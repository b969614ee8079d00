package artifact_test

import (
	"os"
	"testing"

	"github.com/sakersec/saker/internal/config"
)

// TestMain points falcoctl's default index, in effect whenever a test's
// configuration lists no index, at a closed loopback port: no test reaches
// the network, and one that needs the default serves it itself.
func TestMain(m *testing.M) {
	config.DefaultIndexURL = "http://127.0.0.1:1/default-index.yaml"
	os.Exit(m.Run())
}
