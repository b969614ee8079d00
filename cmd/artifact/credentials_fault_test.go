package artifact_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sakersec/saker/cmd"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/internal/testregistry"
)

// runIn runs sakerctl with stdin and debug logs, like env.run.
func (e *env) runIn(stdin string, args ...string) (string, string, int) {
	e.t.Helper()
	var out, errOut bytes.Buffer
	f := cli.NewFactory()
	f.IO = cli.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}
	f.Options.ConfigFile = e.cfgFile
	f.Options.LogFormat = "text"
	f.Getenv = func(string) string { return "" }
	code := cmd.Execute(context.Background(), f, append([]string{"--log-level", "debug"}, args...))
	return out.String(), errOut.String(), code
}

// secretForms are the ways a secret could leak: as is, and inside HTTP
// basic auth or a docker config "auth" field.
func secretForms(user, secret string) []string {
	return []string{
		secret,
		base64.StdEncoding.EncodeToString([]byte(user + ":" + secret)),
		base64.StdEncoding.EncodeToString([]byte(secret)),
	}
}

func noLeak(t *testing.T, what, output string, forms []string) {
	t.Helper()
	for _, s := range forms {
		if strings.Contains(output, s) {
			t.Fatalf("%s: output contains a secret (%q):\n%s", what, s, output)
		}
	}
}

func wantMode0600(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: mode %v, want 0600", path, fi.Mode().Perm())
	}
}

// Credentials are stored 0600 and appear in no output, not even debug
// logs and error messages, whether they work or not.
func TestCredentialsNeverLogged(t *testing.T) {
	const user, password = "alice", "pw-Zq8rX2vLk3"
	e := newEnv(t, testregistry.Options{Users: map[string]string{user: password}})
	forms := secretForms(user, password)
	host := e.reg.Host

	// A wrong password is refused without being echoed.
	const wrong = "wrong-Hj4mT9sQ"
	out, errOut, code := e.runIn(wrong+"\n", "registry", "auth", "basic", host, "-u", user, "--password-stdin", "--plain-http")
	if code == 0 {
		t.Fatal("registry auth basic accepted a wrong password")
	}
	noLeak(t, "auth with a wrong password", out+errOut, secretForms(user, wrong))

	out, errOut, code = e.runIn(password+"\n", "registry", "auth", "basic", host, "-u", user, "--password-stdin", "--plain-http")
	if code != 0 {
		t.Fatalf("registry auth basic: exit %d\n%s%s", code, out, errOut)
	}
	noLeak(t, "registry auth basic", out+errOut, forms)
	creds := filepath.Join(e.state, "creds.json")
	wantMode0600(t, creds)
	if b, _ := os.ReadFile(creds); !bytes.Contains(b, []byte(forms[1])) {
		t.Fatalf("%s does not hold the credentials:\n%s", creds, b)
	}

	src := t.TempDir()
	ref := e.reg.Ref("rules/private", "1.0.0")
	rules := writeFile(t, filepath.Join(src, "private.yaml"), "- list: private\n  items: []\n")
	var all strings.Builder
	for _, args := range [][]string{
		{"registry", "push", ref, rules, "--type", "rulesfile", "--version", "1.0.0", "--plain-http"},
		{"artifact", "install", ref, "--plain-http"},
		{"artifact", "info", ref, "--plain-http"},
	} {
		out, errOut, code := e.runIn("", args...)
		if code != 0 {
			t.Fatalf("sakerctl %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		noLeak(t, strings.Join(args[:2], " "), out+errOut, forms)
		all.WriteString(errOut)
	}
	if !strings.Contains(all.String(), "level=DEBUG") {
		t.Fatalf("no debug logs, the check is void:\n%s", all.String())
	}

	// Inline credentials from the configuration, right and wrong.
	for _, pw := range []string{password, wrong} {
		cfg := readFile(t, e.cfgFile)
		writeFile(t, e.cfgFile, cfg+"registry:\n  creds:\n    config: "+filepath.Join(t.TempDir(), "none.json")+"\n  auth:\n    basic:\n      - registry: "+host+"\n        user: "+user+"\n        password: "+pw+"\n")
		out, errOut, code := e.runIn("", "artifact", "install", ref, "--plain-http")
		writeFile(t, e.cfgFile, cfg)
		if (code == 0) != (pw == password) {
			t.Fatalf("install with configured password %q: exit %d\n%s%s", pw, code, out, errOut)
		}
		noLeak(t, "install with configured credentials", out+errOut, secretForms(user, pw))
	}
}

// OAuth2 client secrets and the tokens they buy are stored 0600 and never
// printed.
func TestOAuthSecretsNeverLogged(t *testing.T) {
	const secret, token = "cs-Pp7wQ1nZ", "tok-Vb3kL8dR"
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		id, sec, ok := r.BasicAuth()
		if !ok {
			id, sec = r.Form.Get("client_id"), r.Form.Get("client_secret")
		}
		if id != "saker" || sec != secret {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"` + token + `","token_type":"bearer","expires_in":3600}`))
	}))
	defer tokens.Close()
	e := newEnv(t, testregistry.Options{})
	forms := append(secretForms("saker", secret), token)

	out, errOut, code := e.runIn("", "registry", "auth", "oauth", e.reg.Host, "--client-id", "saker", "--client-secret", "bad-Xc5", "--token-url", tokens.URL, "--plain-http")
	if code == 0 {
		t.Fatal("registry auth oauth accepted a wrong client secret")
	}
	noLeak(t, "oauth with a wrong secret", out+errOut, []string{"bad-Xc5"})

	out, errOut, code = e.runIn("", "registry", "auth", "oauth", e.reg.Host, "--client-id", "saker", "--client-secret", secret, "--token-url", tokens.URL, "--plain-http")
	if code != 0 {
		t.Fatalf("registry auth oauth: exit %d\n%s%s", code, out, errOut)
	}
	noLeak(t, "registry auth oauth", out+errOut, forms)
	wantMode0600(t, filepath.Join(e.state, "oauth.json"))
}
