// Package artifact publishes Saker's eBPF capture object as an OCI artifact
// and installs it on a host: it pushes one manifest per architecture and
// attach variant (tp_btf, raw_tracepoint) under an image index, picks the
// variant this kernel can run, test-loads it into the kernel, and only then
// makes it the active driver under /etc/falco/drivers (an atomic symlink
// swap), recording it in the artifact install state.
//
// The sensor asks [LoadDriver] for its driver: the installed one when it
// loads, otherwise the object embedded in the binary, and it logs which and
// why. The media types are Saker's own; docs/drivers.md describes them.
package artifact
