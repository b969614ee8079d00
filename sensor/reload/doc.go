// Package reload decides when the sensor reloads its rules and records how
// each reload went. A [Reloader] watches rules and configuration files with
// fsnotify (their directories too, so atomic renames and Kubernetes
// ConfigMap updates, which swap a ..data symlink, are seen), listens for
// SIGHUP, and takes explicit triggers (a follower that installed a new
// version); bursts are debounced into one reload, and reloads run one at
// a time. A [Status] keeps the outcome for /healthz and Prometheus.
//
// Swapping the compiled rules is the caller's job: sensor/runner compiles
// the new version completely and only then hands the engines to its event
// loops through atomic pointers, so a failed reload leaves the running
// rules untouched and no event waits for the compiler.
package reload
