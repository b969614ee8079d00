package artifact_test

import (
	"fmt"

	driverartifact "github.com/sakersec/saker/drivers/artifact"
)

// Choose keeps the manifests a host can run, tp_btf first.
func ExampleChoose() {
	req := driverartifact.Requirements{MinKernelRelease: "5.17", BTF: true}
	cands := []driverartifact.Candidate{
		{Platform: "linux/arm64", Config: driverartifact.Config{Arch: "arm64", Variant: "tp_btf", Requirements: req}},
		{Platform: "linux/amd64", Config: driverartifact.Config{Arch: "amd64", Variant: "raw_tracepoint", Requirements: req}},
		{Platform: "linux/amd64", Config: driverartifact.Config{Arch: "amd64", Variant: "tp_btf", Requirements: req}},
	}
	host := driverartifact.Host{Release: "6.8.0-45-generic", Arch: "amd64", BTF: true}
	usable, _ := driverartifact.Choose(cands, host)
	for _, c := range usable {
		fmt.Println(c.Label())
	}
	_, err := driverartifact.Choose(cands, driverartifact.Host{Release: "5.15.0", Arch: "amd64", BTF: true})
	fmt.Println(err)
	// Output:
	// linux/amd64 tp_btf
	// linux/amd64 raw_tracepoint
	// linux/amd64 raw_tracepoint: requirement not met: needs kernel 5.17 or newer, this host runs 5.15.0
	// linux/amd64 tp_btf: requirement not met: needs kernel 5.17 or newer, this host runs 5.15.0
}
