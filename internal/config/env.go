package config

// ApplyEnv overlays FALCOCTL_* environment variables on cfg, using
// falcoctl's syntax: the key path upper-cased and joined with '_'; lists
// split on ';' and the fields of one entry on ','.
func ApplyEnv(cfg *Config, getenv func(string) string) error {
	// TODO(index helper): implement the full falcoctl environment syntax.
	return nil
}
