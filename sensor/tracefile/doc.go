// Package tracefile records decoded syscall events to a file and replays
// them, so that rules can be developed against a recording (`sakerctl run
// --write FILE`, then `sakerctl run -e FILE`).
//
// Format, version 1: the magic "SAKERTRC", a little-endian uint16 version,
// then a gzip stream holding a header record and one record per event.
// Every record is a uvarint length followed by that many bytes. The header
// names the event types in numbering order, so a recording stays readable
// when Saker renumbers its types; events carry the header fields of
// [event.Event] in a fixed little-endian layout followed by the argument
// area exactly as the kernel driver produced it.
package tracefile
