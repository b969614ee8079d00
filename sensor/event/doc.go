// Package event defines the decoded syscall event that flows from the
// kernel capture (sensor/capture) to the state engine and the rule field
// extractors.
//
// One [Event] describes one syscall, delivered when the syscall returns: it
// carries the arguments saved at entry together with the return value, so
// every event has Falco's exit direction ('<'). Arguments are described by
// a static per-[Type] schema that uses Falco's argument names, which makes
// evt.arg.NAME, evt.arg[N] and evt.args work without per-event maps. Code
// on the event path reads arguments through [ArgKey]s (a name resolved to
// its position in every type once) rather than by name.
//
// An Event decodes in place and never allocates: byte and string arguments
// are slices into the record buffer that the reader reuses, so they stay
// valid only until the next read into the same Event. Copy what you keep.
package event
