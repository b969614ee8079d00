// Package state keeps what the sensor knows about the machine between
// events: processes (from a /proc scan at start, then exec, clone and exit
// events), their file descriptors (open, socket, connect, accept, dup,
// pipe, close), users and groups by name, and containers (id from the
// cgroup path, metadata from the container runtime, fetched in the
// background).
//
// The tables are bounded: when full, exited processes are evicted first,
// then the least recently seen. A [Table] is updated and read by the one
// goroutine that processes events; only container metadata arrives from
// other goroutines, behind its own lock.
package state
