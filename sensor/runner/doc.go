// Package runner wires the sensor's pipeline: events from a source (the
// kernel capture or a trace file) update the state, run through the rules
// engine, and the alerts go to the outputs; alongside, a webserver serves
// /healthz, /versions and Prometheus /metrics.
//
// One goroutine runs the event loop, so the state and the engine need no
// locks; outputs drain their own queues and never block the loop.
package runner
