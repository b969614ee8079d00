package runner

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/config"
	"github.com/sakersec/saker/sensor/outputs"
	"github.com/sakersec/saker/sensor/sources/k8saudit"
	"github.com/sakersec/saker/sensor/sources/syscall"
)

// outputKeys are the falco.yaml keys the outputs are built from: a reload
// that changes one of them replaces the outputs.
var outputKeys = []string{
	"json_output", "json_include_output_property", "json_include_message_property",
	"json_include_output_fields_property", "json_include_tags_property", "time_format_iso_8601",
	"buffered_outputs", "outputs_queue", "output_timeout",
	"stdout_output", "syslog_output", "file_output", "http_output", "program_output",
}

// liveKeys are the keys a reload applies, besides outputKeys: the rules,
// their selection and matching, the in-kernel filter, append_output.
var liveKeys = []string{
	"config_files", "rules_files", "rules_file", "rules", "priority", "rule_matching", "base_syscalls",
	"append_output",
}

// inertKeys are accepted for compatibility and have no effect, so a change
// needs no restart either.
var inertKeys = []string{"grpc_output", "capture"}

// restartKeys lists the keys whose value differs between the running
// configuration and cfg and that only a restart applies (webserver.*,
// engine.*, load_plugins, plugins, log_level, falco_libs.*, ...), as dotted
// paths.
func restartKeys(running, cfg *config.Config) []string {
	return changedKeys(running, cfg, func(top string) bool {
		return !slices.Contains(outputKeys, top) && !slices.Contains(liveKeys, top) && !slices.Contains(inertKeys, top)
	})
}

// changedKeys compares a and b field by field and returns the YAML paths
// of the leaves that differ, among the top-level keys keep selects.
// Keys Saker ignores (config.Ignored) never differ.
func changedKeys(a, b *config.Config, keep func(top string) bool) []string {
	var out []string
	diffStruct("", reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem(), keep, &out)
	return out
}

var ignoredType = reflect.TypeFor[config.Ignored]()

func diffStruct(prefix string, a, b reflect.Value, keep func(string) bool, out *[]string) {
	t := a.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" || name == "-" || f.Type == ignoredType {
			continue
		}
		if prefix == "" && !keep(name) {
			continue
		}
		key := prefix + name
		fa, fb := a.Field(i), b.Field(i)
		if f.Type.Kind() == reflect.Struct && hasYAMLFields(f.Type) {
			diffStruct(key+".", fa, fb, keep, out)
			continue
		}
		if !reflect.DeepEqual(fa.Interface(), fb.Interface()) {
			*out = append(*out, key)
		}
	}
}

func hasYAMLFields(t reflect.Type) bool {
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("yaml") != "" {
			return true
		}
	}
	return false
}

// reconfig is what a reload changes besides the rules: new outputs and
// append_output entries, built before anything is swapped. Nil members
// stay as they are.
type reconfig struct {
	out      *outputs.Manager
	start    chan struct{} // opens out once the old outputs drained
	app      *appender
	auditApp *appender
}

// prepare builds what cfg changes relative to the applied configuration.
// An error leaves everything running as it is.
func (s *Sensor) prepare(applied, cfg *config.Config) (*reconfig, error) {
	rc := &reconfig{}
	if len(changedKeys(applied, cfg, func(k string) bool { return k == "append_output" })) > 0 {
		app, err := newAppender(cfg.AppendOutput, syscall.Source())
		if err != nil {
			return nil, err
		}
		rc.app = app
		if s.audit != nil {
			if rc.auditApp, err = newAppender(cfg.AppendOutput, k8saudit.Source()); err != nil {
				return nil, err
			}
		}
	}
	if keys := changedKeys(applied, cfg, func(k string) bool { return slices.Contains(outputKeys, k) }); len(keys) > 0 {
		rc.start = make(chan struct{})
		om, err := buildOutputs(cfg, s.o.Stdout, s.log, rc.start, s.extra...)
		if err != nil {
			return nil, err
		}
		rc.out = om
		s.log.Info("reload: replacing the outputs", "changed", strings.Join(keys, ", "))
	}
	return rc, nil
}

// apply swaps in what prepare built. The new outputs take alerts at once
// but write them only after the old ones drained (bounded by the old
// output_timeout) and closed, so a file or stdout both write to keeps its
// order and no alert is lost.
func (s *Sensor) apply(rc *reconfig, applied *config.Config) {
	if rc.app != nil {
		s.Runner.app.Store(rc.app)
	}
	if rc.auditApp != nil {
		s.audit.app.Store(rc.auditApp)
	}
	if rc.out == nil {
		return
	}
	r := s.Runner
	r.mu.Lock()
	old := r.out.Swap(rc.out)
	r.draining = old // still counted by OutputStats
	r.mu.Unlock()
	defer close(rc.start)
	if old == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), max(applied.OutputTimeoutDuration(), time.Second))
	defer cancel()
	if err := old.Close(ctx); err != nil {
		s.log.Warn("reload: the previous outputs did not drain in time; their queued alerts were dropped", "err", err)
	}
	s.Runner.retire(old)
}

// noteRestart records the keys that differ from the configuration the
// sensor started with and only a restart applies, and warns when that set
// changes.
func (s *Sensor) noteRestart(cfg *config.Config) {
	keys := restartKeys(s.startConfig(), cfg)
	if slices.Equal(keys, s.hot.restart) {
		return
	}
	s.hot.restart = keys
	s.Runner.reloads.SetRestartPending(keys)
	if len(keys) > 0 {
		s.log.Warn("reload: configuration changes take effect only after a restart of the sensor; restart it to apply them",
			"keys", strings.Join(keys, ", "))
		return
	}
	s.log.Info("reload: the running configuration matches the files again; no restart needed")
}

// startConfig is the configuration Setup built the sensor from.
func (s *Sensor) startConfig() *config.Config {
	if s.o.Config != nil {
		return s.o.Config
	}
	return config.Default()
}

// send hands a to the current outputs. When a reload closed them between
// the load and the send, the alert goes to their replacement.
func (r *Runner) send(a *alert.Alert) {
	m := r.out.Load()
	for m != nil {
		if err := m.Send(a); !errors.Is(err, outputs.ErrClosed) {
			return
		}
		next := r.out.Load()
		if next == m {
			return // the sensor is stopping
		}
		m = next
	}
}

// retire keeps the counters of replaced outputs once they are closed.
func (r *Runner) retire(m *outputs.Manager) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.draining = nil
	for _, st := range m.Stats() {
		addStats(r.retired, st)
	}
}

func addStats(to map[string]outputs.SinkStats, st outputs.SinkStats) {
	t := to[st.Name]
	t.Name = st.Name
	t.Sent += st.Sent
	t.Dropped += st.Dropped
	t.Errors += st.Errors
	to[st.Name] = t
}

// OutputStats returns every output's counters since the sensor started,
// across reloads that replaced the outputs: the current outputs first,
// then those a reload removed. Safe for concurrent use.
func (r *Runner) OutputStats() []outputs.SinkStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	total := maps.Clone(r.retired)
	var names []string
	if m := r.out.Load(); m != nil {
		for _, st := range m.Stats() {
			addStats(total, st)
			names = append(names, st.Name)
		}
	}
	if r.draining != nil {
		for _, st := range r.draining.Stats() {
			addStats(total, st)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(total)) {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	out := make([]outputs.SinkStats, len(names))
	for i, name := range names {
		out[i] = total[name]
	}
	return out
}

// shared lets a sink outlive the outputs.Manager that closes it (the
// extra sinks of SetupOptions, carried over when a reload replaces the
// outputs); the sensor closes it when it stops.
type shared struct{ outputs.Sink }

func (shared) Close() error { return nil }
