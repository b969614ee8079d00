// Package rules loads Falco rules files and evaluates them against events.
//
// Loading runs in steps, each in its own file: the YAML items of every file
// are read with their positions and merged in order (load.go: definitions,
// redefinitions, override/append, enabled-only toggles); conditions are
// parsed (internal/condition) and their macros and lists expanded
// (resolve.go); every rule is type-checked against its source's fields and
// compiled into a tree of closures (compile.go). Errors and warnings are
// [Diagnostic]s naming file:line:col and the item.
//
// A [Ruleset] is immutable and safe for concurrent use, so a reload can swap
// it atomically. Evaluation happens in an [Engine], created per source and
// goroutine from a Ruleset: it indexes rules by event type, runs only the
// candidate rules for an event in file order, and allocates nothing per
// event unless a rule matches (formatting the alert allocates).
package rules
