// Package artifacts packs, pushes, resolves, pulls and installs Falco
// artifacts (rulesfiles, plugins, assets) in falcoctl's OCI format, so that
// artifacts move both ways between sakerctl and falcoctl.
//
// The install flow is: resolve a reference (index name, name:tag,
// name@digest or full OCI reference; semver constraints resolved to the
// highest matching tag) → read the manifest and config layer → check type,
// platform and requirements → resolve dependencies → download the layer,
// verifying its digest while it streams → extract it safely into a
// temporary directory on the destination's filesystem → fsync and rename
// each file into place → record the install in the [State] store.
package artifacts
