// Package imagetest builds the sakerctl container image with `make image`
// (the Dockerfile at the repository root, FROM scratch) and checks it the
// way the Helm chart uses it: its contents, `version` inside the
// container, and `artifact install` from a loopback registry as the
// unprivileged, read-only init container.
//
// The tests need Docker: they skip without it and fail under
// SAKER_REQUIRE_PRIVILEGED=1 (CI). Docker here cannot pull images, which
// is why the image has no base and the tests use no other image.
package imagetest
