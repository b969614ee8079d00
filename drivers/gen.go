package drivers

// The eBPF object is compiled from bpf/saker.bpf.c by bpf2go (clang,
// llvm-strip, and libbpf's headers in /usr/include/bpf are needed only to
// regenerate). One little-endian object serves every little-endian
// architecture: the C code picks x86_64 or arm64 register layouts with
// CO-RE checks and takes syscall numbers from user space.
//
//go:generate go tool bpf2go -target bpfel -cc clang -cflags "-O2 -g -Wall -Werror -Wno-unused-function" -no-global-types saker bpf/saker.bpf.c -- -I./bpf
