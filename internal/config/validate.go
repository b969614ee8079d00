package config

import (
	"fmt"
	"strings"
	"time"
)

// Index backends a configuration may name (empty: inferred from the URL).
var indexBackends = map[string]bool{"": true, "http": true, "https": true, "file": true}

// pathError is a validation error at a key path such as indexes[1].url;
// Load turns the path into a line number.
type pathError struct {
	path []any // string keys and int list indices
	msg  string
}

func (e *pathError) Error() string {
	var b strings.Builder
	for _, p := range e.path {
		switch p := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, p)
		}
	}
	return b.String() + ": " + e.msg
}

func validateIndexes(ixs []IndexConfig) error {
	seen := map[string]bool{}
	for i, ix := range ixs {
		at := func(key string, format string, args ...any) error {
			msg := fmt.Sprintf(format, args...)
			if ix.Name != "" {
				msg = fmt.Sprintf("index %q: %s", ix.Name, msg)
			}
			path := []any{"indexes", i}
			if key != "" {
				path = append(path, key)
			}
			return &pathError{path: path, msg: msg}
		}
		switch {
		case strings.TrimSpace(ix.Name) == "":
			return at("", "missing name")
		case strings.TrimSpace(ix.URL) == "":
			return at("", "missing url")
		case !indexBackends[strings.ToLower(ix.Backend)]:
			return at("backend", "backend %q is not supported (want http, https or file)", ix.Backend)
		case seen[ix.Name]:
			return at("name", "duplicate index name")
		}
		seen[ix.Name] = true
	}
	return nil
}

var everyPath = []any{"artifact", "follow", "every"}

func validateEvery(every string) error {
	if every == "" {
		return nil
	}
	d, err := time.ParseDuration(every)
	if err != nil {
		return &pathError{path: everyPath, msg: fmt.Sprintf("%q is not a duration (e.g. 6h, 30m)", every)}
	}
	if d <= 0 {
		return &pathError{path: everyPath, msg: fmt.Sprintf("%q must be positive", every)}
	}
	return nil
}

// Validate checks the values that the YAML types alone do not constrain.
func (c *Config) Validate() error {
	if err := validateIndexes(c.Indexes); err != nil {
		return err
	}
	return validateEvery(c.Artifact.Follow.Every)
}
