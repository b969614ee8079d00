package config

import "time"

// Default paths, as in Falco's packaging.
const (
	DefaultConfigFile = "/etc/falco/falco.yaml"
)

// DefaultRulesFiles is Falco's default rules_files list. When none of them
// exists the sensor runs on Saker's embedded default rules.
var DefaultRulesFiles = []string{"/etc/falco/falco_rules.yaml", "/etc/falco/falco_rules.local.yaml", "/etc/falco/rules.d"}

// Config is the sensor configuration. Field tags are falco.yaml's keys.
type Config struct {
	ConfigFiles []ConfigFile `yaml:"config_files"`
	// WatchConfigFiles is accepted for compatibility; reload is driven by
	// the runner.
	WatchConfigFiles bool `yaml:"watch_config_files"`

	RulesFiles []string `yaml:"rules_files"`
	// Rules enables and disables loaded rules by name or tag, in order
	// (falco.yaml's `rules:` list).
	Rules []RuleToggle `yaml:"rules"`
	// RulesFile is the deprecated singular spelling of rules_files.
	RulesFile []string `yaml:"rules_file"`

	Engine Engine `yaml:"engine"`

	Capture Capture `yaml:"capture"`

	LoadPlugins     []string `yaml:"load_plugins"`
	Plugins         []Plugin `yaml:"plugins"`
	PluginsHostinfo bool     `yaml:"plugins_hostinfo"`

	TimeFormatISO8601               bool           `yaml:"time_format_iso_8601"`
	BufferFormatBase64              bool           `yaml:"buffer_format_base64"`
	Priority                        string         `yaml:"priority"`
	JSONOutput                      bool           `yaml:"json_output"`
	JSONIncludeOutputProperty       bool           `yaml:"json_include_output_property"`
	JSONIncludeMessageProperty      bool           `yaml:"json_include_message_property"`
	JSONIncludeOutputFieldsProperty bool           `yaml:"json_include_output_fields_property"`
	JSONIncludeTagsProperty         bool           `yaml:"json_include_tags_property"`
	BufferedOutputs                 bool           `yaml:"buffered_outputs"`
	RuleMatching                    string         `yaml:"rule_matching"`
	OutputsQueue                    Queue          `yaml:"outputs_queue"`
	AppendOutput                    []AppendOutput `yaml:"append_output"`

	StdoutOutput  Toggle        `yaml:"stdout_output"`
	SyslogOutput  Toggle        `yaml:"syslog_output"`
	FileOutput    FileOutput    `yaml:"file_output"`
	HTTPOutput    HTTPOutput    `yaml:"http_output"`
	ProgramOutput ProgramOutput `yaml:"program_output"`
	GRPCOutput    Toggle        `yaml:"grpc_output"`
	GRPC          Ignored       `yaml:"grpc"`

	Webserver Webserver `yaml:"webserver"`

	LogStderr  bool    `yaml:"log_stderr"`
	LogSyslog  bool    `yaml:"log_syslog"`
	LogLevel   string  `yaml:"log_level"`
	LibsLogger Ignored `yaml:"libs_logger"`

	OutputTimeout        int          `yaml:"output_timeout"`
	SyscallEventTimeouts Ignored      `yaml:"syscall_event_timeouts"`
	SyscallEventDrops    Ignored      `yaml:"syscall_event_drops"`
	Metrics              Metrics      `yaml:"metrics"`
	BaseSyscalls         BaseSyscalls `yaml:"base_syscalls"`
	FalcoLibs            FalcoLibs    `yaml:"falco_libs"`
	// LegacyContainerEngines is Falco's older container_engines key;
	// ContainerEngines() resolves it with the container plugin's settings.
	LegacyContainerEngines LegacyContainerEngines `yaml:"container_engines"`
}

// RuleToggle is one `rules:` entry: `enable:` or `disable:` with a rule
// name (wildcards allowed) or a tag.
type RuleToggle struct {
	Enable  *RuleMatch `yaml:"enable"`
	Disable *RuleMatch `yaml:"disable"`
}

// RuleMatch names rules by name pattern or tag.
type RuleMatch struct {
	Rule string `yaml:"rule"`
	Tag  string `yaml:"tag"`
}

// Ignored accepts any value: keys Saker recognises but whose tuning has no
// counterpart in its implementation.
type Ignored struct{}

// UnmarshalYAML accepts anything.
func (*Ignored) UnmarshalYAML(func(any) error) error { return nil }

// ConfigFile is one config_files entry: a path (file or directory of
// .yaml files) and how its content merges into the main file.
type ConfigFile struct {
	Path string `yaml:"path"`
	// Strategy is append (lists append, maps merge; the default),
	// override (top-level keys replace) or add-only (only new keys).
	Strategy string `yaml:"strategy"`
}

// UnmarshalYAML accepts a plain string entry as well as the mapping form.
func (c *ConfigFile) UnmarshalYAML(unmarshal func(any) error) error {
	var s string
	if err := unmarshal(&s); err == nil {
		c.Path = s
		return nil
	}
	type plain ConfigFile
	return unmarshal((*plain)(c))
}

// Engine selects and sizes the capture.
type Engine struct {
	// Kind is modern_ebpf (also accepted: ebpf, kmod, which fall back to
	// Saker's eBPF driver), replay, or nodriver.
	Kind       string    `yaml:"kind"`
	ModernEBPF EngineBPF `yaml:"modern_ebpf"`
	EBPF       EngineBPF `yaml:"ebpf"`
	Kmod       EngineBPF `yaml:"kmod"`
	Replay     Replay    `yaml:"replay"`
	GVisor     Ignored   `yaml:"gvisor"`
}

// EngineBPF sizes the kernel ring buffer.
type EngineBPF struct {
	// BufSizePreset is Falco's preset (1..10, 1 MiB doubling per step).
	BufSizePreset     int    `yaml:"buf_size_preset"`
	CPUsForEachBuffer int    `yaml:"cpus_for_each_buffer"`
	DropFailedExit    bool   `yaml:"drop_failed_exit"`
	DisableIterators  bool   `yaml:"disable_iterators"`
	Probe             string `yaml:"probe"`
}

// Replay names a capture file to read instead of the kernel.
type Replay struct {
	CaptureFile string `yaml:"capture_file"`
}

// Capture is Falco's capture-to-scap feature, not supported by Saker (use
// `sakerctl run --write FILE`).
type Capture struct {
	Enabled         bool   `yaml:"enabled"`
	PathPrefix      string `yaml:"path_prefix"`
	Mode            string `yaml:"mode"`
	DefaultDuration int    `yaml:"default_duration"`
}

// Plugin is one plugins entry.
type Plugin struct {
	Name        string `yaml:"name"`
	LibraryPath string `yaml:"library_path"`
	InitConfig  any    `yaml:"init_config"`
	OpenParams  string `yaml:"open_params"`
}

// Queue is outputs_queue.
type Queue struct {
	// Capacity bounds each output's queue; 0 means Saker's default.
	Capacity int `yaml:"capacity"`
}

// AppendOutput is one append_output entry: extra output text and fields
// appended to the alerts of the matching rules.
type AppendOutput struct {
	Match           AppendMatch  `yaml:"match"`
	ExtraOutput     string       `yaml:"extra_output"`
	ExtraFields     []ExtraField `yaml:"extra_fields"`
	SuggestedOutput bool         `yaml:"suggested_output"`
}

// AppendMatch selects rules; empty members match everything.
type AppendMatch struct {
	Source string   `yaml:"source"`
	Tags   []string `yaml:"tags"`
	Rule   string   `yaml:"rule"`
}

// ExtraField is a field name (Name = field, Value empty) or a named
// constant/expression (the mapping form `name: value`).
type ExtraField struct {
	Name  string
	Value string
}

// UnmarshalYAML accepts "proc.env" and {"home": "${HOME}"}.
func (e *ExtraField) UnmarshalYAML(unmarshal func(any) error) error {
	var s string
	if err := unmarshal(&s); err == nil {
		e.Name = s
		return nil
	}
	var m map[string]string
	if err := unmarshal(&m); err != nil {
		return err
	}
	for k, v := range m {
		e.Name, e.Value = k, v
	}
	return nil
}

// Toggle is an output with only an enabled switch.
type Toggle struct {
	Enabled bool `yaml:"enabled"`
}

// FileOutput appends alerts to a file.
type FileOutput struct {
	Enabled   bool   `yaml:"enabled"`
	KeepAlive bool   `yaml:"keep_alive"`
	Filename  string `yaml:"filename"`
}

// ProgramOutput pipes alerts to a shell command.
type ProgramOutput struct {
	Enabled   bool   `yaml:"enabled"`
	KeepAlive bool   `yaml:"keep_alive"`
	Program   string `yaml:"program"`
}

// HTTPOutput posts each alert as one JSON object.
type HTTPOutput struct {
	Enabled                bool   `yaml:"enabled"`
	URL                    string `yaml:"url"`
	UserAgent              string `yaml:"user_agent"`
	Insecure               bool   `yaml:"insecure"`
	CACert                 string `yaml:"ca_cert"`
	CABundle               string `yaml:"ca_bundle"`
	CAPath                 string `yaml:"ca_path"`
	MTLS                   bool   `yaml:"mtls"`
	ClientCert             string `yaml:"client_cert"`
	ClientKey              string `yaml:"client_key"`
	Echo                   bool   `yaml:"echo"`
	CompressUploads        bool   `yaml:"compress_uploads"`
	KeepAlive              bool   `yaml:"keep_alive"`
	MaxConsecutiveTimeouts int    `yaml:"max_consecutive_timeouts"`
}

// Webserver serves /healthz, /versions and /metrics.
type Webserver struct {
	Enabled                  bool   `yaml:"enabled"`
	Threadiness              int    `yaml:"threadiness"`
	ListenPort               int    `yaml:"listen_port"`
	ListenAddress            string `yaml:"listen_address"`
	K8sHealthzEndpoint       string `yaml:"k8s_healthz_endpoint"`
	PrometheusMetricsEnabled bool   `yaml:"prometheus_metrics_enabled"`
	SSLEnabled               bool   `yaml:"ssl_enabled"`
	SSLCertificate           string `yaml:"ssl_certificate"`
}

// Metrics is Falco's periodic metrics-as-alerts feature; Saker serves the
// same counters on the webserver's /metrics.
type Metrics struct {
	Enabled  bool   `yaml:"enabled"`
	Interval string `yaml:"interval"`
}

// BaseSyscalls adds syscalls to those the rules need.
type BaseSyscalls struct {
	CustomSet []string `yaml:"custom_set"`
	Repair    bool     `yaml:"repair"`
	All       bool     `yaml:"all"`
}

// FalcoLibs sizes the state tables.
type FalcoLibs struct {
	ThreadTableSize                      int `yaml:"thread_table_size"`
	ThreadTableAutoPurgingIntervalS      int `yaml:"thread_table_auto_purging_interval_s"`
	ThreadTableAutoPurgingThreadTimeoutS int `yaml:"thread_table_auto_purging_thread_timeout_s"`
	Snaplen                              int `yaml:"snaplen"`
}

// Default returns the configuration used when no file is given: Falco's
// defaults for the keys Saker implements.
func Default() *Config {
	return &Config{
		RulesFiles:                      append([]string(nil), DefaultRulesFiles...),
		WatchConfigFiles:                true,
		Engine:                          Engine{Kind: "modern_ebpf", ModernEBPF: EngineBPF{BufSizePreset: 4}},
		Priority:                        "debug",
		JSONIncludeOutputProperty:       true,
		JSONIncludeOutputFieldsProperty: true,
		JSONIncludeTagsProperty:         true,
		RuleMatching:                    "first",
		AppendOutput:                    []AppendOutput{{SuggestedOutput: true}},
		StdoutOutput:                    Toggle{Enabled: true},
		FileOutput:                      FileOutput{Filename: "./events.txt"},
		HTTPOutput:                      HTTPOutput{UserAgent: "falcosecurity/falco", CAPath: "/etc/ssl/certs"},
		Webserver: Webserver{
			Enabled: true, ListenPort: 8765, ListenAddress: "0.0.0.0", K8sHealthzEndpoint: "/healthz",
			// Unlike Falco, metrics are on when no falco.yaml says otherwise.
			PrometheusMetricsEnabled: true,
		},
		LogStderr:     true,
		LogLevel:      "info",
		OutputTimeout: 2000,
		FalcoLibs:     FalcoLibs{ThreadTableSize: 262144},
	}
}

// BufferSize returns the ring buffer size in bytes for the selected engine:
// Falco's buf_size_preset n means 2^(n-1) MiB (preset 4: 8 MiB).
func (c *Config) BufferSize() int {
	p := c.Engine.ModernEBPF.BufSizePreset
	switch c.Engine.Kind {
	case "ebpf":
		p = c.Engine.EBPF.BufSizePreset
	case "kmod":
		p = c.Engine.Kmod.BufSizePreset
	}
	if p < 1 {
		p = 4
	}
	if p > 10 {
		p = 10
	}
	return 1 << (20 + p - 1)
}

// OutputTimeoutDuration is output_timeout as a duration.
func (c *Config) OutputTimeoutDuration() time.Duration {
	if c.OutputTimeout <= 0 {
		return 2 * time.Second
	}
	return time.Duration(c.OutputTimeout) * time.Millisecond
}
