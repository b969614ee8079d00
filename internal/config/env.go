package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Environment variable prefixes. SAKERCTL_X takes precedence over
// FALCOCTL_X, so a host running both tools can give sakerctl its own value.
const (
	EnvPrefix       = "FALCOCTL_"
	SakerEnvPrefix  = "SAKERCTL_"
	defaultEntrySep = ";"
)

// EnvVar describes one environment variable ApplyEnv reads.
type EnvVar struct {
	// Name is the FALCOCTL_ form, e.g. FALCOCTL_ARTIFACT_INSTALL_REFS.
	Name string
	// Key is the configuration key path, e.g. artifact.install.refs.
	Key string
	// Syntax shows the accepted value, e.g. "name,url[,backend];...".
	Syntax string
}

// EnvVars lists every variable ApplyEnv understands, one per key of
// [Config], in declaration order.
func EnvVars() []EnvVar {
	var out []EnvVar
	walkEnv(reflect.TypeOf(Config{}), nil, func(path []string, f reflect.StructField) {
		out = append(out, EnvVar{
			Name:   EnvPrefix + envSuffix(path),
			Key:    strings.Join(path, "."),
			Syntax: envSyntax(f),
		})
	})
	return out
}

// SetBy returns the name of the environment variable that sets key (a
// path such as "indexes" or "artifact.install.refs"), SAKERCTL_ first, or
// "" if neither is set. Commands use it to say where a value comes from.
func SetBy(getenv func(string) string, key string) string {
	if getenv == nil {
		return ""
	}
	suffix := envSuffix(strings.Split(key, "."))
	for _, name := range []string{SakerEnvPrefix + suffix, EnvPrefix + suffix} {
		if getenv(name) != "" {
			return name
		}
	}
	return ""
}

// ApplyEnv overlays environment variables on cfg, using falcoctl's syntax:
// FALCOCTL_ + the key path upper-cased and joined with '_'
// (artifact.install.refs → FALCOCTL_ARTIFACT_INSTALL_REFS). Lists are split
// on ';' (allowedTypes and plainHTTP also on ','); the fields of one list
// entry are split on ',' in the order of the YAML keys, e.g.
// FALCOCTL_INDEXES="name,url[,backend];name2,url2" or
// FALCOCTL_REGISTRY_AUTH_BASIC="registry,user,password". A set variable
// replaces the file's value. Every SAKERCTL_ variable is accepted too and
// wins over its FALCOCTL_ twin. An empty variable counts as unset. Bad
// values are reported together, each naming its variable.
func ApplyEnv(cfg *Config, getenv func(string) string) error {
	if getenv == nil {
		return nil
	}
	var errs []error
	root := reflect.ValueOf(cfg).Elem()
	walkEnv(root.Type(), nil, func(path []string, f reflect.StructField) {
		suffix := envSuffix(path)
		name := SakerEnvPrefix + suffix
		val := getenv(name)
		if val == "" {
			name = EnvPrefix + suffix
			val = getenv(name)
		}
		if val == "" {
			return
		}
		if err := setFromEnv(fieldByPath(root, path), f, val); err != nil {
			errs = append(errs, fmt.Errorf("environment variable %s: %w", name, err))
			return
		}
		if check, ok := envChecks[strings.Join(path, ".")]; ok {
			if err := check(cfg); err != nil {
				errs = append(errs, fmt.Errorf("environment variable %s: %w", name, err))
			}
		}
	})
	return errors.Join(errs...)
}

// envChecks validate values that parse but may still be wrong.
var envChecks = map[string]func(*Config) error{
	"indexes":               func(c *Config) error { return validateIndexes(c.Indexes) },
	"artifact.follow.every": func(c *Config) error { return validateEvery(c.Artifact.Follow.Every) },
}

// walkEnv calls leaf for every settable key: scalars, string lists and
// lists of flat structs. Nested structs are keys of their own.
func walkEnv(t reflect.Type, path []string, leaf func([]string, reflect.StructField)) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := yamlKey(f)
		if key == "" || !f.IsExported() {
			continue
		}
		p := append(append([]string(nil), path...), key)
		if f.Type.Kind() == reflect.Struct {
			walkEnv(f.Type, p, leaf)
			continue
		}
		leaf(p, f)
	}
}

func yamlKey(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	if tag == "-" {
		return ""
	}
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name
	}
	return strings.ToLower(f.Name)
}

func envSuffix(path []string) string { return strings.ToUpper(strings.Join(path, "_")) }

func fieldByPath(v reflect.Value, path []string) reflect.Value {
	for _, key := range path {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			if yamlKey(t.Field(i)) == key {
				v = v.Field(i)
				break
			}
		}
	}
	return v
}

func listSeps(f reflect.StructField) string {
	if s := f.Tag.Get("envsep"); s != "" {
		return s
	}
	return defaultEntrySep
}

func splitList(val, seps string) []string {
	parts := strings.FieldsFunc(val, func(r rune) bool { return strings.ContainsRune(seps, r) })
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func setFromEnv(v reflect.Value, f reflect.StructField, val string) error {
	switch {
	case v.Kind() == reflect.String:
		v.SetString(strings.TrimSpace(val))
	case v.Kind() == reflect.Bool:
		b, err := parseBool(val)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Bool:
		b, err := parseBool(val)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(&b))
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		v.Set(reflect.ValueOf(splitList(val, listSeps(f))))
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct:
		list := reflect.MakeSlice(v.Type(), 0, 1)
		for i, raw := range splitList(val, listSeps(f)) {
			item := reflect.New(v.Type().Elem()).Elem()
			if err := setEntry(item, raw); err != nil {
				return fmt.Errorf("entry %d %q: %w (want %s)", i+1, redact(item, raw), err, envSyntax(f))
			}
			list = reflect.Append(list, item)
		}
		v.Set(list)
	default:
		// A new Config field of an unsupported kind: TestEnvVarsCoverConfig fails.
		return fmt.Errorf("cannot be set from the environment (type %s)", v.Type())
	}
	return nil
}

func parseBool(val string) (bool, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(val))
	if err != nil {
		return false, fmt.Errorf("%q is not a boolean (want true or false)", val)
	}
	return b, nil
}

// setEntry fills the string fields of struct item from one comma-separated
// list entry, in field order.
func setEntry(item reflect.Value, raw string) error {
	t := item.Type()
	n := t.NumField()
	fields := strings.Split(raw, ",")
	if len(fields) > n {
		if t.Field(n-1).Tag.Get("env") != "rest" {
			return fmt.Errorf("%d fields, at most %d expected", len(fields), n)
		}
		fields = append(fields[:n-1], strings.Join(fields[n-1:], ","))
	}
	for i := 0; i < n; i++ {
		val := ""
		if i < len(fields) {
			val = strings.TrimSpace(fields[i])
		}
		tf := t.Field(i)
		if val == "" && tf.Tag.Get("env") != "optional" {
			return fmt.Errorf("missing %s", yamlKey(tf))
		}
		item.Field(i).SetString(val)
	}
	return nil
}

// redact hides secrets when an entry is quoted in an error message.
func redact(item reflect.Value, raw string) string {
	t := item.Type()
	secret := false
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("json") == "-" {
			secret = true
		}
	}
	if !secret {
		return raw
	}
	first, _, _ := strings.Cut(raw, ",")
	return first + ",..."
}

func envSyntax(f reflect.StructField) string {
	t := f.Type
	switch {
	case t.Kind() == reflect.Bool || (t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Bool):
		return "true|false"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		sep := listSeps(f)[:1]
		return "a" + sep + "b" + sep + "..."
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		var parts []string
		for i := 0; i < t.Elem().NumField(); i++ {
			sf := t.Elem().Field(i)
			k := yamlKey(sf)
			if sf.Tag.Get("env") == "optional" {
				k = "[" + k + "]"
			}
			parts = append(parts, k)
		}
		return strings.Join(parts, ",") + ";..."
	}
	return "string"
}
