package reload

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Status records the outcome of reloads. It is safe for concurrent use.
type Status struct {
	mu        sync.Mutex
	reloads   uint64
	failures  uint64
	lastOK    time.Time
	lastErrAt time.Time
	lastErr   string
	lastDur   time.Duration
	reason    string
	restart   []string
}

// Snapshot is a copy of a [Status] for /healthz.
type Snapshot struct {
	Reloads  uint64 `json:"reloads"`
	Failures uint64 `json:"failures"`
	// LastError is the error of the latest reload when it failed (the
	// previous rules are still running), empty once a reload succeeds.
	LastError   string     `json:"last_error,omitempty"`
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
	LastReload  *time.Time `json:"last_reload,omitempty"`
	LastReason  string     `json:"last_reason,omitempty"`
	// LastDurationMS is how long the latest reload took to compile and
	// swap, in milliseconds.
	LastDurationMS float64 `json:"last_duration_ms"`
	// RestartPending lists the configuration keys that changed on disk
	// but take effect only when the sensor restarts (webserver.*,
	// engine.*, ...); empty when the running configuration is current.
	RestartPending []string `json:"restart_pending,omitempty"`
}

// Record notes one reload attempt.
func (s *Status) Record(reason string, err error, took time.Duration, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reason, s.lastDur = reason, took
	if err != nil {
		s.failures++
		s.lastErr, s.lastErrAt = err.Error(), at
		return
	}
	s.reloads++
	s.lastOK, s.lastErr = at, ""
}

// SetRestartPending records the configuration keys a restart would apply
// (none clears it).
func (s *Status) SetRestartPending(keys []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.restart = append([]string(nil), keys...)
}

// Snapshot returns the current state.
func (s *Status) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	sn := Snapshot{Reloads: s.reloads, Failures: s.failures, LastError: s.lastErr, LastReason: s.reason,
		LastDurationMS: float64(s.lastDur.Microseconds()) / 1000, RestartPending: append([]string(nil), s.restart...)}
	if !s.lastOK.IsZero() {
		t := s.lastOK
		sn.LastReload = &t
	}
	if s.lastErr != "" {
		t := s.lastErrAt
		sn.LastErrorAt = &t
	}
	return sn
}

var (
	descReloads  = prometheus.NewDesc("saker_rules_reloads_total", "Successful rules reloads.", nil, nil)
	descFailures = prometheus.NewDesc("saker_rules_reload_errors_total", "Rules reloads that failed; the previous rules kept running.", nil, nil)
	descFailing  = prometheus.NewDesc("saker_rules_reload_failing", "1 when the latest rules reload failed and older rules are running.", nil, nil)
	descLastOK   = prometheus.NewDesc("saker_rules_last_reload_timestamp_seconds", "Time of the latest successful rules reload.", nil, nil)
	descDuration = prometheus.NewDesc("saker_rules_last_reload_duration_seconds", "Time the latest rules reload took to compile and swap.", nil, nil)
	descRestart  = prometheus.NewDesc("saker_config_restart_pending", "1 when the configuration changed keys that only a restart applies (listed in /healthz restart_pending).", nil, nil)
)

// Describe implements prometheus.Collector.
func (s *Status) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descReloads, descFailures, descFailing, descLastOK, descDuration, descRestart} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (s *Status) Collect(ch chan<- prometheus.Metric) {
	sn := s.Snapshot()
	failing := 0.0
	if sn.LastError != "" {
		failing = 1
	}
	last := 0.0
	if sn.LastReload != nil {
		last = float64(sn.LastReload.UnixNano()) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(descReloads, prometheus.CounterValue, float64(sn.Reloads))
	ch <- prometheus.MustNewConstMetric(descFailures, prometheus.CounterValue, float64(sn.Failures))
	ch <- prometheus.MustNewConstMetric(descFailing, prometheus.GaugeValue, failing)
	ch <- prometheus.MustNewConstMetric(descLastOK, prometheus.GaugeValue, last)
	ch <- prometheus.MustNewConstMetric(descDuration, prometheus.GaugeValue, sn.LastDurationMS/1000)
	restart := 0.0
	if len(sn.RestartPending) > 0 {
		restart = 1
	}
	ch <- prometheus.MustNewConstMetric(descRestart, prometheus.GaugeValue, restart)
}
