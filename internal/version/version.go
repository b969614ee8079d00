// Package version holds the build identity of sakerctl and the engine
// versions that the bundled sensor implements, which installs check artifact
// requirements against.
package version

import "runtime"

// Set at link time by the release build (-ldflags "-X ...").
var (
	Version = "0.0.0-dev"
	Commit  = "unknown"
	Date    = "unknown"
)

const (
	// EngineVersionSemver is the Falco rules engine version the bundled
	// sensor implements; rulesfiles state it as required_engine_version.
	EngineVersionSemver = "0.58.0"
	// PluginAPIVersion is the Falco plugin API version the sensor serves.
	PluginAPIVersion = "3.11.0"
	// FalcoCompatVersion is the Falco release whose behaviour the sensor
	// mirrors; reported as falco_version on /versions.
	FalcoCompatVersion = "0.42.0"
)

// BuiltinPlugins are the Falco plugins whose event sources and fields the
// sensor provides natively. A rulesfile dependency or requirement on one of
// them is satisfied without loading a shared library.
var BuiltinPlugins = map[string]string{
	"container": "0.5.0",
	"k8saudit":  "0.18.0",
	"json":      "0.7.3",
}

// Info is the machine-readable build identity.
type Info struct {
	Version             string `json:"version"`
	Commit              string `json:"commit"`
	Date                string `json:"date"`
	GoVersion           string `json:"goVersion"`
	Platform            string `json:"platform"`
	EngineVersionSemver string `json:"engineVersionSemver"`
	PluginAPIVersion    string `json:"pluginAPIVersion"`
}

// Get returns the build identity of this binary.
func Get() Info {
	return Info{
		Version:             Version,
		Commit:              Commit,
		Date:                Date,
		GoVersion:           runtime.Version(),
		Platform:            runtime.GOOS + "/" + runtime.GOARCH,
		EngineVersionSemver: EngineVersionSemver,
		PluginAPIVersion:    PluginAPIVersion,
	}
}
