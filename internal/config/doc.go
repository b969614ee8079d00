// Package config reads sakerctl's configuration: a file in falcoctl.yaml's
// layout (so a real /etc/falcoctl/falcoctl.yaml works unchanged) overlaid by
// FALCOCTL_* (and SAKERCTL_*) environment variables with falcoctl's list
// syntax. A missing file means defaults; the file is never written unless a
// command is asked to.
package config
