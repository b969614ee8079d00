// Package cli holds what every sakerctl command shares: the I/O streams,
// the global flags, the logger and lazy access to the configuration. Commands
// receive a *Factory so tests can swap any of these.
package cli
