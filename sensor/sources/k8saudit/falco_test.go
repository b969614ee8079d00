package k8saudit

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sakersec/saker/sensor/fields"
)

func TestFromFalcoPlugin(t *testing.T) {
	tok := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tok, []byte("abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pc, err := FromFalcoPlugin("https://:9443/audit", map[string]any{
		"sslCertificate": "/etc/falco/falco.pem", "webhookMaxBatchSize": 1000, "maxEventSize": 100,
		"useAsync": true, "bearerTokenFile": tok, "clusterName": "prod", "queueSize": "10",
	})
	if err != nil {
		t.Fatal(err)
	}
	o := pc.Server
	if o.Addr != ":9443" || o.Path != "/audit" || o.TLSCertFile != "/etc/falco/falco.pem" || o.TLSKeyFile != "/etc/falco/falco.pem" ||
		o.MaxBodyBytes != 1000 || o.MaxEventBytes != 100 || o.BearerToken != "abc" || o.Cluster != "prod" || o.QueueSize != 10 {
		t.Errorf("options = %+v", o)
	}
	if len(pc.Ignored) != 1 || pc.Ignored[0] != "useAsync" {
		t.Errorf("ignored = %v", pc.Ignored)
	}

	pc, err = FromFalcoPlugin("http://127.0.0.1:9765/k8s-audit", `{"maxEventSize": 262144}`)
	if err != nil || pc.Server.Addr != "127.0.0.1:9765" || pc.Server.TLSCertFile != "" || pc.Server.MaxEventBytes != 262144 {
		t.Errorf("JSON init_config: %+v, %v", pc.Server, err)
	}
	pc, err = FromFalcoPlugin("", nil)
	if err != nil || pc.Server.Addr != ":9765" || pc.Server.Path != "/k8s-audit" {
		t.Errorf("defaults: %+v, %v", pc.Server, err)
	}
	pc, err = FromFalcoPlugin("/var/log/audit.jsonl", "")
	if err != nil || pc.File != "/var/log/audit.jsonl" {
		t.Errorf("file: %+v, %v", pc, err)
	}
	for _, tc := range []struct {
		params string
		cfg    any
		want   string
	}{
		{"ftp://x/y", nil, `scheme "ftp"`},
		{"", map[string]any{"bogus": 1}, `unknown init_config key "bogus"`},
		{"", map[string]any{"maxEventSize": "big"}, "maxEventSize is big, want an integer"},
		{"", map[string]any{"customFieldsHeaders": []any{}}, "customFieldsHeaders is not supported"},
		{"", "{not json", "not a JSON object"},
		{"", 42, "want a mapping"},
		{"", map[string]any{"bearerTokenFile": "/nonexistent/token"}, "bearerTokenFile"},
	} {
		_, err := FromFalcoPlugin(tc.params, tc.cfg)
		if !errors.Is(err, ErrPluginConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("FromFalcoPlugin(%q, %v) err = %v, want ErrPluginConfig mentioning %q", tc.params, tc.cfg, err, tc.want)
		}
	}
}

func TestReadLines(t *testing.T) {
	in := ev("1") + "\n\n" + `{"kind":"EventList","items":[` + ev("2") + `,{"auditID":"bad"}]}` + "\n" + `[` + ev("3") + `]` + "\n"
	var ids []string
	var bad []error
	err := ReadLines(strings.NewReader(in), 0, func(e *Event) { ids = append(ids, e.AuditID()) }, func(err error) { bad = append(bad, err) })
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "1,2,3" || len(bad) != 1 || !strings.Contains(bad[0].Error(), "line 3") {
		t.Errorf("ids %v bad %v", ids, bad)
	}
	err = ReadLines(strings.NewReader(ev("1")+"\n{oops\n"), 0, func(*Event) {}, nil)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("err = %v, want ErrMalformed at line 2", err)
	}
}

func TestMaxEventBytes(t *testing.T) {
	s, _ := startServer(t, Options{MaxEventBytes: int64(len(ev("ok")))})
	big := strings.Replace(ev("big"), `"stage"`, `"padding":"`+strings.Repeat("x", 100)+`","stage"`, 1)
	if code, _ := post(t, http.DefaultClient, "POST", s.URL(), "", `[`+big+`,`+ev("ok")+`]`); code != 200 {
		t.Fatalf("status %d", code)
	}
	if got := receive(t, s, 1); got[0].AuditID() != "ok" {
		t.Errorf("got %q", got[0].AuditID())
	}
	if st := s.Stats(); st.Invalid != 1 {
		t.Errorf("stats %+v, want 1 invalid", st)
	}
}

type countingProcessor struct{ ts []time.Time }

func (c *countingProcessor) Process(evt fields.Event, ts time.Time) int {
	c.ts = append(c.ts, ts)
	return 0
}

func TestPump(t *testing.T) {
	ch := make(chan *Event, 2)
	r, _ := Decode([]byte(`[` + ev("a") + `,` + ev("b") + `]`))
	ch <- r.Events[0]
	ch <- r.Events[1]
	close(ch)
	var p countingProcessor
	Pump(ch, &p)
	if len(p.ts) != 2 || !p.ts[0].Equal(r.Events[0].Time) {
		t.Errorf("processed %v", p.ts)
	}
}
