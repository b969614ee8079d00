// Package faultproxy injects registry faults for tests: it wraps a
// registry handler, or proxies to a registry address, and answers the
// requests its rules select with rate limits (429 and Retry-After), server
// errors, connections reset or cut in the middle of a blob, altered bytes
// or delays, counting every request it sees.
package faultproxy
