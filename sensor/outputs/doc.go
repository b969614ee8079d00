// Package outputs delivers alerts to their destinations (stdout, a file, a
// program's stdin, an HTTP endpoint, syslog) without ever blocking the
// caller: each sink drains its own bounded queue, and an alert that finds
// the queue full is dropped and counted for that sink.
package outputs
