// Package syscall is the "syscall" event source: it extracts the fields
// Falco rules use (proc.*, fd.*, evt.*, user.*, container.*, k8s.*, ...)
// from a decoded kernel event together with the sensor's process, file
// descriptor and container state, with Falco's semantics.
//
// Field declarations live in sensor/fields; this package attaches the
// extraction ([Source]) and defines the [Event] the rules engine evaluates.
package syscall
