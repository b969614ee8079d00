// Package testregistry runs an in-process OCI registry (distribution v3 on
// in-memory storage behind httptest) for tests, optionally with TLS (a
// self-signed CA written to a file for the client) and htpasswd basic auth.
// It binds only 127.0.0.1.
package testregistry
