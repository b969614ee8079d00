// Package capture reads the records that the kernel driver (drivers/)
// writes into its BPF ring buffer and decodes each into a reused
// [event.Event] without allocating.
//
// The driver wakes the reader only when enough data is pending; between
// wake-ups the [Reader] polls the ring buffer at a fixed interval, so a
// lone event is delivered within that interval and a busy ring costs one
// wake-up per batch instead of one per event.
package capture
