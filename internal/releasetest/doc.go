// Package releasetest checks the release configuration, .goreleaser.yaml:
// `goreleaser check`, then a snapshot build for this host whose binary must
// be static and report the version, commit and date goreleaser stamped.
//
// The tests need goreleaser v2 (go install
// github.com/goreleaser/goreleaser/v2@v2.16.0): they skip without it and
// fail under SAKER_REQUIRE_PRIVILEGED=1 (CI), where .ci/run installs it.
package releasetest
