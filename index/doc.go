// Package index reads, caches and searches artifact indexes in falcoctl's
// index.yaml format: a YAML list of entries naming an artifact, its type and
// the OCI repository it lives in. Indexes are fetched through backends
// (http, https, file), cached on disk, and merged for lookups and search.
package index
