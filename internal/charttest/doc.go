// Package charttest checks the Helm chart in charts/saker: `helm lint
// --strict` and `helm template` on the value sets in charts/saker/ci, each
// rendered object strictly decoded into its Kubernetes API type (an unknown
// or misspelt field fails), and the properties the sensor depends on
// asserted (hostPID, read-only host mounts, the install and follow
// containers, the generated sakerctl and falco.yaml configurations).
//
// The package holds tests only, so the Kubernetes API modules are compiled
// for them alone and never linked into sakerctl. The tests need the helm
// binary: they skip without it, and fail under SAKER_REQUIRE_PRIVILEGED=1
// (CI), where .ci/run installs it.
package charttest
