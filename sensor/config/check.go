package config

import (
	"fmt"
	"strings"

	"github.com/sakersec/saker/internal/version"
	"github.com/sakersec/saker/sensor/alert"
)

// unsupported warns about Falco features that are configured but that
// Saker does not implement, so users know why they have no effect.
func (c *Config) unsupported(file string) []Warning {
	var ws []Warning
	add := func(key, msg string) { ws = append(ws, Warning{File: file, Key: key, Msg: msg}) }
	if c.Capture.Enabled {
		add("capture.enabled", "Falco's rule-triggered capture is not supported, ignored; record with `sakerctl run --write FILE`")
	}
	for _, p := range c.LoadPlugins {
		if _, ok := version.BuiltinPlugins[p]; !ok {
			add("load_plugins", fmt.Sprintf("plugin %q is not built into Saker and shared-library plugins are not loaded, ignored", p))
		}
	}
	ws = append(ws, c.containerEngineWarnings(file)...)
	if c.JSONIncludeMessageProperty {
		add("json_include_message_property", "not supported, ignored")
	}
	if c.GRPCOutput.Enabled {
		add("grpc_output.enabled", "gRPC output is not supported, ignored; use http_output")
	}
	if c.Metrics.Enabled {
		add("metrics.enabled", "metrics as periodic alerts are not supported, ignored; scrape /metrics with webserver.prometheus_metrics_enabled=true")
	}
	if c.HTTPOutput.CompressUploads {
		add("http_output.compress_uploads", "not supported, alerts are posted uncompressed")
	}
	switch c.Engine.Kind {
	case "kmod", "ebpf":
		add("engine.kind", fmt.Sprintf("%q is served by Saker's CO-RE eBPF driver (modern_ebpf)", c.Engine.Kind))
	case "gvisor":
		add("engine.kind", "gvisor is not supported; using modern_ebpf")
	}
	return ws
}

// validate rejects values the sensor cannot run with.
func (c *Config) validate(file string) error {
	where := orDefault(file, "configuration")
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s: %s", ErrInvalid, where, key, fmt.Sprintf(format, args...))
	}
	if _, err := alert.ParsePriority(c.Priority); err != nil {
		return bad("priority", "%v", err)
	}
	switch c.RuleMatching {
	case "first", "all":
	default:
		return bad("rule_matching", "%q: want first or all", c.RuleMatching)
	}
	switch c.Engine.Kind {
	case "modern_ebpf", "ebpf", "kmod", "gvisor", "nodriver", "replay", "":
	default:
		return bad("engine.kind", "%q: want modern_ebpf, replay or nodriver", c.Engine.Kind)
	}
	if c.Engine.Kind == "replay" && c.Engine.Replay.CaptureFile == "" {
		return bad("engine.replay.capture_file", "engine.kind is replay but no capture file is set")
	}
	if c.Webserver.Enabled && (c.Webserver.ListenPort < 0 || c.Webserver.ListenPort > 65535) {
		return bad("webserver.listen_port", "%d is not a port", c.Webserver.ListenPort)
	}
	if c.HTTPOutput.Enabled && c.HTTPOutput.URL == "" {
		return bad("http_output.url", "http_output is enabled but has no url")
	}
	if c.HTTPOutput.Enabled && !strings.HasPrefix(c.HTTPOutput.URL, "http://") && !strings.HasPrefix(c.HTTPOutput.URL, "https://") {
		return bad("http_output.url", "%q: want an http:// or https:// URL", c.HTTPOutput.URL)
	}
	if c.ProgramOutput.Enabled && strings.TrimSpace(c.ProgramOutput.Program) == "" {
		return bad("program_output.program", "program_output is enabled but has no program")
	}
	if c.FileOutput.Enabled && c.FileOutput.Filename == "" {
		return bad("file_output.filename", "file_output is enabled but has no filename")
	}
	for i, r := range c.Rules {
		if (r.Enable == nil) == (r.Disable == nil) {
			return bad(fmt.Sprintf("rules[%d]", i), "want exactly one of enable: or disable:")
		}
		m := r.Enable
		if m == nil {
			m = r.Disable
		}
		if (m.Rule == "") == (m.Tag == "") {
			return bad(fmt.Sprintf("rules[%d]", i), "want exactly one of rule: or tag:")
		}
	}
	if c.OutputsQueue.Capacity < 0 {
		return bad("outputs_queue.capacity", "%d: want 0 (default) or a positive number", c.OutputsQueue.Capacity)
	}
	return nil
}

// MinPriority is the parsed priority threshold.
func (c *Config) MinPriority() alert.Priority {
	p, err := alert.ParsePriority(c.Priority)
	if err != nil {
		return alert.PriorityDebug
	}
	return p
}

// JSONOptions are the json_include_* switches.
func (c *Config) JSONOptions() alert.JSONOptions {
	return alert.JSONOptions{
		IncludeOutputProperty:       c.JSONIncludeOutputProperty,
		IncludeTagsProperty:         c.JSONIncludeTagsProperty,
		IncludeOutputFieldsProperty: c.JSONIncludeOutputFieldsProperty,
	}
}
