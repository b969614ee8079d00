// Package fields is the field registry that event sources declare into and
// the extraction contract the rules engine evaluates through.
//
// An event source (the syscall sensor, the Kubernetes audit receiver, a
// replay of recorded events) describes itself with a [Source]: its name as
// rules spell it in `source:` ("syscall", "k8s_audit"), the [Field]s its
// events carry, and, when events have types, the event type names that
// `evt.type` compares against ("open", "execve", ...). The rules compiler
// checks every field a condition or output names against the [Source] and
// reports unknown fields and mistyped operands at load time.
//
// # Plugging a source in
//
// Extraction is compiled, not interpreted. When the engine compiles a rule
// it asks the source's [ExtractorFactory] once per field reference
// (`proc.aname[2]`, `evt.arg.flags`, `ka.req.pod.containers.image`) for an
// [Extractor]; per event it only calls Extract with a reusable [Value].
// A source therefore:
//
//  1. declares its fields (a []Field table, see [SyscallFields] and
//     [K8sAuditFields]) and, if it has them, event type names;
//  2. implements [Event] on its event type (a pointer, so passing it as an
//     interface does not allocate) whose EventType returns the index of the
//     event's type in Source.EventTypes (or -1 when unknown);
//  3. implements [ExtractorFactory]: NewExtractor receives a resolved [Ref]
//     (the declared field and its argument) and returns an [Extractor] that
//     type-asserts the event to its concrete type and fills the Value slot
//     matching the field's [Type] (Str for strings, Int for signed numbers
//     and relative times, Uint for unsigned numbers, ports and absolute
//     times, Addr for addresses and networks, Bool, Bytes, List for
//     multi-valued fields).
//
// Extract must not allocate on the steady path: strings should point into
// the event or source state, and byte or list slots should be refilled
// with v.Bytes = append(v.Bytes[:0], ...) so the engine's buffers are
// reused. Extract returns false when the field has no value for this event
// (a comparison on it is then false, and outputs print <NA>).
//
// One Extractor serves every rules engine built from a ruleset, and
// engines run on different goroutines: extractors must be safe for
// concurrent use (keep state in the event, not the extractor).
//
// A Source with a nil Extractors is declarations only: rules still load and
// validate against it (what `sakerctl rules validate` does), but every field
// extracts as "no value".
package fields
