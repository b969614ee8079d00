package runner

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sakersec/saker/internal/version"
	"github.com/sakersec/saker/sensor/config"
	"github.com/sakersec/saker/sensor/sources/k8saudit"
)

// Versions is what /versions returns: Falco's keys, so tools that check a
// Falco's versions (falcoctl follow) work against Saker.
func Versions() map[string]string {
	return map[string]string{
		"engine_version":         version.EngineVersionSemver,
		"engine_version_semver":  version.EngineVersionSemver,
		"falco_version":          version.FalcoCompatVersion,
		"plugin_api_version":     version.PluginAPIVersion,
		"libs_version":           version.FalcoCompatVersion,
		"default_driver_version": "saker-" + version.Version,
		"driver_api_version":     "saker-" + version.Version,
		"driver_schema_version":  "saker-" + version.Version,
		"saker_version":          version.Version,
	}
}

// Handler serves /healthz (or the configured path), /versions and, when
// metrics are on, /metrics with the runner's counters and extra's.
func (r *Runner) Handler(ws config.Webserver, metrics bool, extra ...prometheus.Collector) http.Handler {
	mux := http.NewServeMux()
	hp := ws.K8sHealthzEndpoint
	if hp == "" {
		hp = "/healthz"
	}
	mux.HandleFunc(hp, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if !r.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"status": "starting"}`))
			return
		}
		r.writeHealth(w)
	})
	mux.HandleFunc("/versions", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(Versions())
	})
	if metrics {
		reg := prometheus.NewRegistry()
		reg.MustRegister(&collector{r: r}, &r.reloads, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		reg.MustRegister(extra...)
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	}
	return mux
}

// Serve listens as the webserver section says and serves h until ctx
// ends. It returns the bound address once listening.
func Serve(ctx context.Context, ws config.Webserver, h http.Handler) (net.Addr, <-chan error, error) {
	addr := net.JoinHostPort(ws.ListenAddress, strconv.Itoa(ws.ListenPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("webserver: %w (change webserver.listen_port or disable it with -o webserver.enabled=false)", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	if ws.SSLEnabled {
		pem, err := os.ReadFile(ws.SSLCertificate)
		if err != nil {
			ln.Close()
			return nil, nil, fmt.Errorf("webserver.ssl_certificate: %w", err)
		}
		// Falco's falco.pem holds the certificate and its key together.
		cert, err := tls.X509KeyPair(pem, pem)
		if err != nil {
			ln.Close()
			return nil, nil, fmt.Errorf("webserver.ssl_certificate %s: %w (want a PEM with the certificate and its key)", ws.SSLCertificate, err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	errc := make(chan error, 1)
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		errc <- err
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	return ln.Addr(), errc, nil
}

// collector exposes the runner's counters at scrape time, so the event
// loop only bumps atomics.
type collector struct{ r *Runner }

var (
	descEvents  = prometheus.NewDesc("saker_events_total", "Events processed by the sensor.", nil, nil)
	descDrops   = prometheus.NewDesc("saker_kernel_drops_total", "Events the kernel lost because the ring buffer was full.", nil, nil)
	descAlerts  = prometheus.NewDesc("saker_alerts_total", "Alerts raised, by rule and priority.", []string{"rule", "priority"}, nil)
	descOutSent = prometheus.NewDesc("saker_outputs_sent_total", "Alerts delivered, by output.", []string{"output"}, nil)
	descOutDrop = prometheus.NewDesc("saker_outputs_dropped_total", "Alerts dropped because the output's queue was full, by output.", []string{"output"}, nil)
	descOutErr  = prometheus.NewDesc("saker_outputs_errors_total", "Alerts an output failed to deliver, by output.", []string{"output"}, nil)
	descProcs   = prometheus.NewDesc("saker_state_processes", "Processes in the state table.", nil, nil)
	descRules   = prometheus.NewDesc("saker_rules_loaded", "Rules the engine evaluates.", nil, nil)
)

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descEvents, descDrops, descAlerts, descOutSent, descOutDrop, descOutErr, descProcs, descRules} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.r.Stats()
	ch <- prometheus.MustNewConstMetric(descEvents, prometheus.CounterValue, float64(s.Events))
	ch <- prometheus.MustNewConstMetric(descDrops, prometheus.CounterValue, float64(s.Drops))
	c.r.mu.Lock()
	for k, n := range c.r.byRule {
		ch <- prometheus.MustNewConstMetric(descAlerts, prometheus.CounterValue, float64(n), k.rule, k.priority.String())
	}
	c.r.mu.Unlock()
	for _, o := range c.r.OutputStats() {
		ch <- prometheus.MustNewConstMetric(descOutSent, prometheus.CounterValue, float64(o.Sent), o.Name)
		ch <- prometheus.MustNewConstMetric(descOutDrop, prometheus.CounterValue, float64(o.Dropped), o.Name)
		ch <- prometheus.MustNewConstMetric(descOutErr, prometheus.CounterValue, float64(o.Errors), o.Name)
	}
	ch <- prometheus.MustNewConstMetric(descRules, prometheus.GaugeValue, float64(c.r.Rules()))
	// The state table belongs to the event loop; its size is read without
	// a lock, which is fine for a gauge.
	ch <- prometheus.MustNewConstMetric(descProcs, prometheus.GaugeValue, float64(c.r.o.State.Len()))
}

// auditCollector exposes the Kubernetes audit webhook's counters: what it
// refused and what it dropped, next to the kernel's drops.
type auditCollector struct{ srv *k8saudit.Server }

var (
	descAuditRequests = prometheus.NewDesc("saker_k8saudit_requests_total", "Requests the Kubernetes audit webhook accepted.", nil, nil)
	descAuditRejected = prometheus.NewDesc("saker_k8saudit_requests_rejected_total",
		"Requests the Kubernetes audit webhook refused, by HTTP status (400 not JSON or no usable event, 401 token, 404 path, 405 method, 413 body too large).", []string{"code"}, nil)
	descAuditEvents  = prometheus.NewDesc("saker_k8saudit_events_total", "Audit events queued for the k8s_audit rules.", nil, nil)
	descAuditInvalid = prometheus.NewDesc("saker_k8saudit_events_invalid_total", "Audit events skipped because they were unusable (no stageTimestamp, larger than maxEventSize).", nil, nil)
	descAuditDrops   = prometheus.NewDesc("saker_k8saudit_drops_total", "Audit events dropped because the queue to the rules engine was full.", nil, nil)
)

func (c auditCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descAuditRequests, descAuditRejected, descAuditEvents, descAuditInvalid, descAuditDrops} {
		ch <- d
	}
}

func (c auditCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.srv.Stats()
	ch <- prometheus.MustNewConstMetric(descAuditRequests, prometheus.CounterValue, float64(st.Requests))
	for code, n := range st.RejectedByStatus {
		ch <- prometheus.MustNewConstMetric(descAuditRejected, prometheus.CounterValue, float64(n), strconv.Itoa(code))
	}
	ch <- prometheus.MustNewConstMetric(descAuditEvents, prometheus.CounterValue, float64(st.Events))
	ch <- prometheus.MustNewConstMetric(descAuditInvalid, prometheus.CounterValue, float64(st.Invalid))
	ch <- prometheus.MustNewConstMetric(descAuditDrops, prometheus.CounterValue, float64(st.Dropped))
}
