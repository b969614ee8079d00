package drivers

// Object returns the eBPF object embedded at build time (bpf2go's output
// for bpf/saker.bpf.c), for publishing it as a driver artifact. The
// caller must not modify the returned slice.
func Object() []byte { return _SakerBytes }
