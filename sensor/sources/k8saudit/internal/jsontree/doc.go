// Package jsontree parses a JSON document once into a flat, read-only tree
// whose strings point into the input, so that looking values up afterwards
// (by key, index or JSON pointer) costs no allocation.
//
// It exists for the Kubernetes audit source: every audit event is decoded
// once and then read by dozens of compiled field extractors per rule
// evaluation. A [Doc] is immutable after [Parse] and safe for concurrent
// reads.
package jsontree
