// Package config reads the sensor's configuration in falco.yaml's layout:
// the file given with -c (and the files its config_files entry names),
// then -o key=value overrides and -r rules files. Keys Saker does not know
// produce warnings naming the key and its file:line, never errors, so an
// existing Falco configuration keeps working.
package config
