// Package drivers holds Saker's kernel capture driver: a CO-RE eBPF object
// (compiled from bpf/saker.bpf.c by bpf2go, committed, embedded) and the
// loader that checks the host, loads it, attaches it and configures what
// it captures.
//
// The object attaches to sys_exit and sched_process_exec/fork/exit as
// tp_btf programs, falling back to raw_tracepoint programs where tp_btf
// cannot load or attach, plus the syscalls:sys_enter_* tracepoints of
// execs and clones (or, without tracefs, a generic sys_enter hook), and
// sends one record per captured syscall through a BPF ring buffer that
// sensor/capture reads.
package drivers
