// Package ruletest runs rule test files: YAML files that name a recording
// (a trace file, or Kubernetes audit events in JSON), the rules to load,
// and the alerts the rules must raise on it, or must not. It is what
// `sakerctl rules test` runs, so that rule repositories can test their
// rules in CI the way code is tested.
//
// Events replay through the sensor's own pipeline (the process and file
// descriptor state, then the rules engine, as `sakerctl run -e` does), on
// one goroutine and without reading this machine's /proc or container
// runtime, so a test gives the same result on every machine.
//
// The file format is documented in docs/rule-authoring.md.
package ruletest
