// Package clitest runs sakerctl commands in-process for the command
// packages' tests, the way a user runs them, without building the binary.
package clitest

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/sakersec/saker/cmd"
	"github.com/sakersec/saker/internal/cli"
)

// Run runs sakerctl with args on empty stdin and returns its stdout, stderr
// and exit code. The configuration file is a missing one in a fresh
// temporary directory, so the user's own configuration never leaks in.
func Run(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := cli.NewFactory()
	f.IO = cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	f.Options.ConfigFile = t.TempDir() + "/missing.yaml"
	code = cmd.Execute(context.Background(), f, args)
	return out.String(), errOut.String(), code
}
