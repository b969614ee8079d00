package config

import (
	"reflect"
	"strings"
	"testing"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestApplyEnv(t *testing.T) {
	yes := true
	tests := []struct {
		name string
		env  map[string]string
		want func(*Config)
	}{
		{"indexes with and without backend",
			map[string]string{"FALCOCTL_INDEXES": "falcosecurity,https://falcosecurity.github.io/falcoctl/index.yaml;mine,file:///srv/index.yaml,file"},
			func(c *Config) {
				c.Indexes = []IndexConfig{
					{Name: "falcosecurity", URL: "https://falcosecurity.github.io/falcoctl/index.yaml"},
					{Name: "mine", URL: "file:///srv/index.yaml", Backend: "file"},
				}
			}},
		{"install refs split on semicolons only",
			map[string]string{"FALCOCTL_ARTIFACT_INSTALL_REFS": "falco-rules:3; k8saudit:>=0.7, <1 ;"},
			func(c *Config) { c.Artifact.Install.Refs = []string{"falco-rules:3", "k8saudit:>=0.7, <1"} }},
		{"allowed types are comma-separated as in falcoctl",
			map[string]string{"FALCOCTL_ARTIFACT_ALLOWEDTYPES": "rulesfile,plugin"},
			func(c *Config) { c.Artifact.AllowedTypes = []string{"rulesfile", "plugin"} }},
		{"basic auth entries, password may hold commas",
			map[string]string{"FALCOCTL_REGISTRY_AUTH_BASIC": "r1:5000,u1,p1;r2,u2,p,a,ss"},
			func(c *Config) {
				c.Registry.Auth.Basic = []BasicAuth{{"r1:5000", "u1", "p1"}, {"r2", "u2", "p,a,ss"}}
			}},
		{"oauth in falcoctl's field order",
			map[string]string{"FALCOCTL_REGISTRY_AUTH_OAUTH": "reg,id,secret,https://auth/token"},
			func(c *Config) {
				c.Registry.Auth.OAuth = []OAuthAuth{{Registry: "reg", ClientID: "id", ClientSecret: "secret", TokenURL: "https://auth/token"}}
			}},
		{"gcp registries",
			map[string]string{"FALCOCTL_REGISTRY_AUTH_GCP": "europe-docker.pkg.dev;us-docker.pkg.dev"},
			func(c *Config) {
				c.Registry.Auth.GCP = []GCPAuth{{"europe-docker.pkg.dev"}, {"us-docker.pkg.dev"}}
			}},
		{"follow settings and bools",
			map[string]string{
				"FALCOCTL_ARTIFACT_FOLLOW_EVERY":           "30m",
				"FALCOCTL_ARTIFACT_FOLLOW_REFS":            "a;b",
				"FALCOCTL_ARTIFACT_FOLLOW_FALCOVERSIONS":   "http://localhost:8765/versions",
				"FALCOCTL_ARTIFACT_NOVERIFY":               "true",
				"FALCOCTL_ARTIFACT_INSTALL_RESOLVEDEPS":    "TRUE",
				"FALCOCTL_ARTIFACT_INSTALL_STATEDIR":       "/tmp/state",
				"FALCOCTL_ARTIFACT_INSTALL_RULESFILESDIR":  "/r",
				"FALCOCTL_ARTIFACT_INSTALL_PLUGINSDIR":     "/p",
				"FALCOCTL_ARTIFACT_INSTALL_ASSETSDIR":      "/a",
				"FALCOCTL_REGISTRY_TLS_INSECURESKIPVERIFY": "1",
				"FALCOCTL_REGISTRY_PLAINHTTP":              "localhost:5000,127.0.0.1:5001",
				"FALCOCTL_DRIVER_DIR":                      "/d",
			},
			func(c *Config) {
				c.Artifact.Follow.Every = "30m"
				c.Artifact.Follow.Refs = []string{"a", "b"}
				c.Artifact.Follow.FalcoVersions = "http://localhost:8765/versions"
				c.Artifact.NoVerify = true
				c.Artifact.Install.ResolveDeps = &yes
				c.Artifact.Install.StateDir = "/tmp/state"
				c.Artifact.Install.RulesfilesDir = "/r"
				c.Artifact.Install.PluginsDir = "/p"
				c.Artifact.Install.AssetsDir = "/a"
				c.Registry.TLS.InsecureSkipVerify = true
				c.Registry.PlainHTTP = []string{"localhost:5000", "127.0.0.1:5001"}
				c.Driver.Dir = "/d"
			}},
		{"SAKERCTL_ wins over FALCOCTL_",
			map[string]string{"FALCOCTL_ARTIFACT_INSTALL_PLUGINSDIR": "/falcoctl", "SAKERCTL_ARTIFACT_INSTALL_PLUGINSDIR": "/saker"},
			func(c *Config) { c.Artifact.Install.PluginsDir = "/saker" }},
		{"SAKERCTL_ alone",
			map[string]string{"SAKERCTL_INDEXES": "x,http://x/index.yaml"},
			func(c *Config) { c.Indexes = []IndexConfig{{Name: "x", URL: "http://x/index.yaml"}} }},
		{"empty variable is unset",
			map[string]string{"FALCOCTL_ARTIFACT_INSTALL_PLUGINSDIR": ""},
			func(c *Config) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &Config{}
			if err := ApplyEnv(got, envMap(tt.env)); err != nil {
				t.Fatalf("ApplyEnv: %v", err)
			}
			want := &Config{}
			tt.want(want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestApplyEnvOverridesFile(t *testing.T) {
	cfg := &Config{Indexes: []IndexConfig{{Name: "file", URL: "https://a"}}}
	cfg.Artifact.Install.Refs = []string{"from-file"}
	err := ApplyEnv(cfg, envMap(map[string]string{"FALCOCTL_ARTIFACT_INSTALL_REFS": "from-env"}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Artifact.Install.Refs, []string{"from-env"}) || len(cfg.Indexes) != 1 {
		t.Fatalf("env did not replace only the refs: %+v", cfg)
	}
}

func TestApplyEnvErrors(t *testing.T) {
	tests := []struct {
		env      map[string]string
		variable string
		says     string
	}{
		{map[string]string{"FALCOCTL_INDEXES": "onlyname"}, "FALCOCTL_INDEXES", "missing url"},
		{map[string]string{"FALCOCTL_INDEXES": "a,http://a;b"}, "FALCOCTL_INDEXES", `entry 2 "b"`},
		{map[string]string{"FALCOCTL_INDEXES": "a,http://a,https,extra"}, "FALCOCTL_INDEXES", "at most 3"},
		{map[string]string{"FALCOCTL_INDEXES": "a,http://a,ftp"}, "FALCOCTL_INDEXES", "backend"},
		{map[string]string{"SAKERCTL_INDEXES": "a,http://a;a,http://b"}, "SAKERCTL_INDEXES", "duplicate"},
		{map[string]string{"FALCOCTL_REGISTRY_AUTH_BASIC": "reg,user"}, "FALCOCTL_REGISTRY_AUTH_BASIC", "missing password"},
		{map[string]string{"FALCOCTL_REGISTRY_AUTH_OAUTH": "reg,id,secret"}, "FALCOCTL_REGISTRY_AUTH_OAUTH", "missing tokenURL"},
		{map[string]string{"FALCOCTL_ARTIFACT_FOLLOW_EVERY": "often"}, "FALCOCTL_ARTIFACT_FOLLOW_EVERY", "not a duration"},
		{map[string]string{"FALCOCTL_ARTIFACT_FOLLOW_EVERY": "-5m"}, "FALCOCTL_ARTIFACT_FOLLOW_EVERY", "positive"},
		{map[string]string{"FALCOCTL_ARTIFACT_NOVERIFY": "maybe"}, "FALCOCTL_ARTIFACT_NOVERIFY", "true or false"},
		{map[string]string{"FALCOCTL_ARTIFACT_INSTALL_RESOLVEDEPS": "nope"}, "FALCOCTL_ARTIFACT_INSTALL_RESOLVEDEPS", "boolean"},
	}
	for _, tt := range tests {
		err := ApplyEnv(&Config{}, envMap(tt.env))
		if err == nil {
			t.Errorf("%v: no error", tt.env)
			continue
		}
		if !strings.Contains(err.Error(), tt.variable) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%v: error %q should name %s and say %q", tt.env, err, tt.variable, tt.says)
		}
	}
}

func TestApplyEnvRedactsSecrets(t *testing.T) {
	err := ApplyEnv(&Config{}, envMap(map[string]string{"FALCOCTL_REGISTRY_AUTH_OAUTH": "reg,id,topsecret"}))
	if err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Fatalf("error must exist and not leak the secret: %v", err)
	}
}

// TestEnvVarsCoverConfig sets every variable EnvVars lists and checks that
// each one changes the configuration: a new Config key that the environment
// cannot set fails here.
func TestEnvVarsCoverConfig(t *testing.T) {
	vars := EnvVars()
	if len(vars) < 25 {
		t.Fatalf("only %d variables; Config has more keys", len(vars))
	}
	sample := map[string]string{
		"true|false":             "true",
		"a;b;...":                "x;y",
		"a,b,...":                "x,y",
		"string":                 "/some/value",
		"name,url,[backend];...": "n,http://u",
	}
	for _, v := range vars {
		val, ok := sample[v.Syntax]
		if !ok {
			// Lists of structs: one value per field.
			n := strings.Count(strings.TrimSuffix(v.Syntax, ";..."), ",") + 1
			val = strings.TrimSuffix(strings.Repeat("v,", n), ",")
		}
		if v.Key == "artifact.follow.every" {
			val = "1h"
		}
		cfg := &Config{}
		if err := ApplyEnv(cfg, envMap(map[string]string{v.Name: val})); err != nil {
			t.Errorf("%s=%q: %v", v.Name, val, err)
			continue
		}
		if reflect.DeepEqual(cfg, &Config{}) {
			t.Errorf("%s=%q (%s) changed nothing", v.Name, val, v.Key)
		}
	}
	names := map[string]bool{}
	for _, v := range vars {
		names[v.Name] = true
	}
	for _, want := range []string{"FALCOCTL_INDEXES", "FALCOCTL_ARTIFACT_INSTALL_REFS", "FALCOCTL_ARTIFACT_ALLOWEDTYPES",
		"FALCOCTL_REGISTRY_AUTH_BASIC", "FALCOCTL_ARTIFACT_FOLLOW_EVERY", "FALCOCTL_ARTIFACT_INSTALL_STATEDIR",
		"FALCOCTL_REGISTRY_CREDS_CONFIG", "FALCOCTL_ARTIFACT_FOLLOW_TMPDIR"} {
		if !names[want] {
			t.Errorf("EnvVars lacks %s", want)
		}
	}
}

func FuzzApplyEnv(f *testing.F) {
	f.Add(uint8(0), "a,http://a;b,file:///x,file")
	f.Add(uint8(3), "reg,user,pa,ss")
	f.Add(uint8(10), "true")
	f.Add(uint8(20), ";;,;")
	vars := EnvVars()
	f.Fuzz(func(t *testing.T, which uint8, value string) {
		v := vars[int(which)%len(vars)]
		cfg := &Config{}
		err := ApplyEnv(cfg, envMap(map[string]string{v.Name: value}))
		if err != nil {
			if !strings.Contains(err.Error(), v.Name) {
				t.Fatalf("error does not name %s: %v", v.Name, err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%s=%q accepted but invalid: %v", v.Name, value, err)
		}
	})
}
