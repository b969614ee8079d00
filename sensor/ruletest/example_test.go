package ruletest_test

import (
	"context"
	"os"

	"github.com/sakersec/saker/sensor/ruletest"
)

// Run a test file of Saker's own suite and print the report that
// `sakerctl rules test` prints.
func ExampleRunFile() {
	results := ruletest.RunFile(context.Background(), "../../testdata/ruletests/network.yaml", ruletest.Options{Hostname: "example"})
	ruletest.WriteText(os.Stdout, results, false)
	// Output:
	// PASS ../../testdata/ruletests/network.yaml:5: loopback connections are not outbound (39 events, no alerts)
	// PASS ../../testdata/ruletests/network.yaml:10: a connection to a non-loopback address is (39 events, alerts: System binary connecting out ×1)
	// 2 test(s): 2 passed, 0 failed
}
