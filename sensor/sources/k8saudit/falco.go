package k8saudit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sakersec/saker/sensor/fields"
)

// ErrPluginConfig is wrapped by errors in a falco.yaml k8saudit plugin
// entry.
var ErrPluginConfig = errors.New("k8saudit plugin configuration")

// PluginConfig is what [FromFalcoPlugin] makes of falco.yaml's k8saudit
// plugin entry: either a webhook (Server) or a file of JSON lines to read
// (File, when open_params has no scheme).
type PluginConfig struct {
	Server Options
	File   string
	// Ignored lists init_config keys that are accepted but have no effect
	// in Saker (useAsync); callers may warn about them.
	Ignored []string
}

// FromFalcoPlugin reads a falco.yaml `plugins:` entry for k8saudit, so a
// Falco configuration runs unchanged:
//
//	plugins:
//	  - name: k8saudit
//	    library_path: libk8saudit.so   # ignored: the source is built in
//	    init_config:
//	      sslCertificate: /etc/falco/falco.pem
//	      webhookMaxBatchSize: 12582912
//	    open_params: "http://:9765/k8s-audit"
//
// open_params is http://host:port/path, https://host:port/path (TLS with
// sslCertificate, a PEM holding the certificate and its key), or a file
// path. initConfig is the decoded YAML value or a JSON string. Besides the
// plugin's keys (sslCertificate, maxEventSize, webhookMaxBatchSize,
// useAsync) Saker accepts bearerTokenFile, clientCAFile, queueSize and
// clusterName.
func FromFalcoPlugin(openParams string, initConfig any) (PluginConfig, error) {
	var pc PluginConfig
	cfg, err := initConfigMap(initConfig)
	if err != nil {
		return pc, err
	}
	o := Options{}
	ssl := "/etc/falco/falco.pem" // the plugin's default
	for k, v := range cfg {
		switch k {
		case "sslCertificate":
			ssl, err = strVal(k, v)
		case "maxEventSize":
			o.MaxEventBytes, err = intVal(k, v)
		case "webhookMaxBatchSize":
			o.MaxBodyBytes, err = intVal(k, v)
		case "queueSize":
			var n int64
			n, err = intVal(k, v)
			o.QueueSize = int(n)
		case "clusterName":
			o.Cluster, err = strVal(k, v)
		case "clientCAFile":
			o.ClientCAFile, err = strVal(k, v)
		case "bearerTokenFile":
			var p string
			if p, err = strVal(k, v); err == nil {
				var b []byte
				if b, err = os.ReadFile(p); err != nil {
					err = fmt.Errorf("%w: init_config.bearerTokenFile: %w", ErrPluginConfig, err)
				}
				o.BearerToken = strings.TrimSpace(string(b))
			}
		case "useAsync":
			pc.Ignored = append(pc.Ignored, k)
		case "customFieldsHeaders":
			err = fmt.Errorf("%w: init_config.customFieldsHeaders is not supported; use clusterName for ka.cluster.name", ErrPluginConfig)
		default:
			err = fmt.Errorf("%w: unknown init_config key %q (want sslCertificate, maxEventSize, webhookMaxBatchSize, useAsync, bearerTokenFile, clientCAFile, queueSize or clusterName)", ErrPluginConfig, k)
		}
		if err != nil {
			return pc, err
		}
	}
	if openParams == "" {
		openParams = "http://:9765/k8s-audit"
	}
	if !strings.Contains(openParams, "://") {
		pc.File = openParams
		pc.Server = o
		return pc, nil
	}
	u, err := url.Parse(openParams)
	if err != nil {
		return pc, fmt.Errorf("%w: open_params %q: %w", ErrPluginConfig, openParams, err)
	}
	switch u.Scheme {
	case "http":
	case "https":
		o.TLSCertFile, o.TLSKeyFile = ssl, ssl
	default:
		return pc, fmt.Errorf("%w: open_params %q: scheme %q, want http, https or a file path", ErrPluginConfig, openParams, u.Scheme)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "9765"
	}
	o.Addr = net.JoinHostPort(host, port)
	o.Path = u.Path
	if o.Path == "" {
		o.Path = "/"
	}
	pc.Server = o
	return pc, nil
}

func initConfigMap(v any) (map[string]any, error) {
	switch c := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return c, nil
	case string:
		if strings.TrimSpace(c) == "" {
			return nil, nil
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(c), &m); err != nil {
			return nil, fmt.Errorf("%w: init_config string is not a JSON object: %w", ErrPluginConfig, err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("%w: init_config is a %T, want a mapping or a JSON string", ErrPluginConfig, v)
}

func strVal(k string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%w: init_config.%s is %v, want a string", ErrPluginConfig, k, v)
	}
	return s, nil
}

func intVal(k string, v any) (int64, error) {
	switch n := v.(type) {
	case int:
		return int64(n), nil
	case int64:
		return n, nil
	case uint64:
		return int64(n), nil
	case float64:
		if n == float64(int64(n)) {
			return int64(n), nil
		}
	case string:
		if i, err := strconv.ParseInt(n, 10, 64); err == nil {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%w: init_config.%s is %v, want an integer", ErrPluginConfig, k, v)
}

// Processor evaluates events; *rules.Engine implements it.
type Processor interface {
	// Process evaluates evt, which happened at ts, and returns the number
	// of matching rules.
	Process(evt fields.Event, ts time.Time) int
}

// Pump evaluates every event from events with p, at the event's
// stageTimestamp, until events is closed (the server stopped). Run it on
// its own goroutine with its own engine: engines are not safe for
// concurrent use.
func Pump(events <-chan *Event, p Processor) {
	for e := range events {
		p.Process(e, e.Time)
	}
}

// ReadLines decodes a file of JSON lines, each an Event, an EventList or an
// array (the k8saudit plugin's file mode), and calls fn for each event in
// order. Invalid events are passed to onInvalid (if set) and skipped; a
// line that is not JSON stops reading with an error naming the line.
func ReadLines(r io.Reader, maxLine int, fn func(*Event), onInvalid func(error)) error {
	if maxLine <= 0 {
		maxLine = int(DefaultOptions.MaxBodyBytes)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		res, err := Decode(b)
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		for _, err := range res.Invalid {
			if onInvalid != nil {
				onInvalid(fmt.Errorf("line %d: %w", line, err))
			}
		}
		for _, e := range res.Events {
			fn(e)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	return nil
}
