package follow

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sakersec/saker/artifacts"
)

// VersionsEngine reads the engine versions from a sensor's /versions
// endpoint (Falco's keys: engine_version_semver, plugin_api_version), as
// falcoctl's artifact.follow.falcoversions does. A Saker sensor (it adds
// saker_version) also serves its built-in plugins. client nil means a
// client with a 10 s timeout.
func VersionsEngine(client *http.Client, url string) func(ctx context.Context) (artifacts.Engine, error) {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return func(ctx context.Context) (artifacts.Engine, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return artifacts.Engine{}, fmt.Errorf("falcoversions %q: %w", url, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return artifacts.Engine{}, fmt.Errorf("reading the sensor's versions (falcoversions): %w (is the sensor's webserver up?)", err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return artifacts.Engine{}, fmt.Errorf("reading the sensor's versions from %s: %w", url, err)
		}
		if resp.StatusCode != http.StatusOK {
			return artifacts.Engine{}, fmt.Errorf("reading the sensor's versions from %s: HTTP %d", url, resp.StatusCode)
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return artifacts.Engine{}, fmt.Errorf("the sensor's versions at %s are not a JSON object: %w", url, err)
		}
		str := func(k string) string { s, _ := m[k].(string); return s }
		e := artifacts.Engine{EngineVersion: str("engine_version_semver"), PluginAPIVersion: str("plugin_api_version")}
		if e.EngineVersion == "" {
			return artifacts.Engine{}, fmt.Errorf("the sensor's versions at %s lack engine_version_semver", url)
		}
		if _, ok := m["saker_version"]; ok {
			e.Builtin = artifacts.DefaultEngine().Builtin
		}
		return e, nil
	}
}
