// Package defaults embeds Saker's own default rules, written for Saker in
// the Falco rules language. The sensor runs on them when no rules are
// installed in Falco's default locations (/etc/falco).
package defaults

import _ "embed"

// Name is how diagnostics and logs call the embedded rules file.
const Name = "<embedded>/saker_rules.yaml"

// Rules is the content of the embedded rules file.
//
//go:embed saker_rules.yaml
var Rules []byte
