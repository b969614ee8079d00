// Package condition lexes and parses Falco rule conditions into a syntax
// tree whose nodes carry byte offsets into the condition text, so that the
// loader can report errors as file:line:col. It knows nothing of fields,
// macros or lists: names are resolved by the rules package.
package condition
