package config

import (
	"os"
	"path/filepath"
)

// Default locations, following Falco's layout.
const (
	DefaultConfigFile    = "/etc/sakerctl/sakerctl.yaml"
	DefaultRulesfilesDir = "/etc/falco"
	DefaultPluginsDir    = "/usr/share/falco/plugins"
	DefaultAssetsDir     = "/etc/falco/assets"
	DefaultDriversDir    = "/etc/falco/drivers"
)

// DefaultIndexName names the index in effect when no index is configured
// or added, as in falcoctl.
const DefaultIndexName = "falcosecurity"

// DefaultIndexURL is where the default index is fetched from. It is a
// variable only so that tests (in process, or a binary built with
// -ldflags "-X github.com/sakersec/saker/internal/config.DefaultIndexURL=...")
// point it at a loopback server; nothing else sets it.
var DefaultIndexURL = "https://falcosecurity.github.io/falcoctl/index.yaml"

// DefaultIndex is falcoctl's default index: falcosecurity, over https.
func DefaultIndex() IndexConfig {
	return IndexConfig{Name: DefaultIndexName, URL: DefaultIndexURL, Backend: "https"}
}

// Config mirrors falcoctl.yaml. Field names and YAML keys match falcoctl's.
type Config struct {
	Indexes  []IndexConfig  `yaml:"indexes,omitempty" json:"indexes,omitempty"`
	Registry RegistryConfig `yaml:"registry,omitempty" json:"registry,omitempty"`
	Artifact ArtifactConfig `yaml:"artifact,omitempty" json:"artifact,omitempty"`
	Driver   DriverConfig   `yaml:"driver,omitempty" json:"driver,omitempty"`
}

// IndexConfig is one entry of the indexes list.
type IndexConfig struct {
	Name    string `yaml:"name" json:"name"`
	URL     string `yaml:"url" json:"url"`
	Backend string `yaml:"backend,omitempty" json:"backend,omitempty" env:"optional"`
}

// RegistryConfig holds registry credentials and transport settings.
type RegistryConfig struct {
	Creds RegistryCreds `yaml:"creds,omitempty" json:"creds,omitempty"`
	Auth  RegistryAuth  `yaml:"auth,omitempty" json:"auth,omitempty"`
	TLS   RegistryTLS   `yaml:"tls,omitempty" json:"tls,omitempty"`
	// PlainHTTP lists registries (host[:port]) spoken to over plain HTTP.
	PlainHTTP []string `yaml:"plainHTTP,omitempty" json:"plainHTTP,omitempty" envsep:",;"`
}

// RegistryCreds points at the docker-style credential store.
type RegistryCreds struct {
	Config string `yaml:"config,omitempty" json:"config,omitempty"`
}

// RegistryAuth holds inline credentials.
type RegistryAuth struct {
	Basic []BasicAuth `yaml:"basic,omitempty" json:"basic,omitempty"`
	OAuth []OAuthAuth `yaml:"oauth,omitempty" json:"oauth,omitempty"`
	GCP   []GCPAuth   `yaml:"gcp,omitempty" json:"gcp,omitempty"`
}

// GCPAuth turns on Google Cloud application-default credentials for one
// registry (falcoctl's registry.auth.gcp).
type GCPAuth struct {
	Registry string `yaml:"registry" json:"registry"`
}

// BasicAuth is a username/password for one registry.
type BasicAuth struct {
	Registry string `yaml:"registry" json:"registry"`
	User     string `yaml:"user" json:"user"`
	// Password takes the rest of a FALCOCTL_REGISTRY_AUTH_BASIC entry, so
	// it may contain commas.
	Password string `yaml:"password" json:"-" env:"rest"`
}

// OAuthAuth is an OAuth2 client-credentials grant for one registry.
type OAuthAuth struct {
	Registry     string `yaml:"registry" json:"registry"`
	ClientID     string `yaml:"clientID" json:"clientID"`
	ClientSecret string `yaml:"clientSecret" json:"-"`
	TokenURL     string `yaml:"tokenURL" json:"tokenURL"`
}

// RegistryTLS configures TLS towards registries (a Saker extension).
type RegistryTLS struct {
	CAFile             string `yaml:"caFile,omitempty" json:"caFile,omitempty"`
	InsecureSkipVerify bool   `yaml:"insecureSkipVerify,omitempty" json:"insecureSkipVerify,omitempty"`
}

// ArtifactConfig holds the artifact.* keys.
type ArtifactConfig struct {
	// AllowedTypes is comma-separated in the environment, as in falcoctl.
	AllowedTypes []string      `yaml:"allowedTypes,omitempty" json:"allowedTypes,omitempty" envsep:",;"`
	NoVerify     bool          `yaml:"noVerify,omitempty" json:"noVerify,omitempty"`
	Install      InstallConfig `yaml:"install,omitempty" json:"install,omitempty"`
	Follow       FollowConfig  `yaml:"follow,omitempty" json:"follow,omitempty"`
}

// InstallConfig holds artifact.install.*.
type InstallConfig struct {
	Refs          []string `yaml:"refs,omitempty" json:"refs,omitempty"`
	ResolveDeps   *bool    `yaml:"resolveDeps,omitempty" json:"resolveDeps,omitempty"`
	RulesfilesDir string   `yaml:"rulesfilesDir,omitempty" json:"rulesfilesDir,omitempty"`
	PluginsDir    string   `yaml:"pluginsDir,omitempty" json:"pluginsDir,omitempty"`
	AssetsDir     string   `yaml:"assetsDir,omitempty" json:"assetsDir,omitempty"`
	StateDir      string   `yaml:"stateDir,omitempty" json:"stateDir,omitempty"`
}

// FollowConfig holds artifact.follow.*.
type FollowConfig struct {
	Refs            []string `yaml:"refs,omitempty" json:"refs,omitempty"`
	Every           string   `yaml:"every,omitempty" json:"every,omitempty"`
	Cron            string   `yaml:"cron,omitempty" json:"cron,omitempty"`
	StartupBehavior string   `yaml:"startupBehavior,omitempty" json:"startupBehavior,omitempty"`
	FalcoVersions   string   `yaml:"falcoversions,omitempty" json:"falcoversions,omitempty"`
	RulesfilesDir   string   `yaml:"rulesfilesDir,omitempty" json:"rulesfilesDir,omitempty"`
	PluginsDir      string   `yaml:"pluginsDir,omitempty" json:"pluginsDir,omitempty"`
	AssetsDir       string   `yaml:"assetsDir,omitempty" json:"assetsDir,omitempty"`
	StateDir        string   `yaml:"stateDir,omitempty" json:"stateDir,omitempty"`
	TmpDir          string   `yaml:"tmpDir,omitempty" json:"tmpDir,omitempty"`
}

// DriverConfig holds driver.* (a Saker extension for eBPF object artifacts).
type DriverConfig struct {
	Dir string `yaml:"dir,omitempty" json:"dir,omitempty"`
}

// StateDir is where sakerctl keeps its state (added indexes, index cache,
// install state): artifact.install.stateDir, else /var/lib/sakerctl for root
// and $XDG_STATE_HOME/sakerctl (~/.local/state/sakerctl) for other users.
func (c *Config) StateDir() string {
	if c != nil && c.Artifact.Install.StateDir != "" {
		return c.Artifact.Install.StateDir
	}
	if os.Geteuid() == 0 {
		return "/var/lib/sakerctl"
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "sakerctl")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "sakerctl")
	}
	return filepath.Join(home, ".local", "state", "sakerctl")
}
