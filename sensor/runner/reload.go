package runner

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/sakersec/saker/sensor/config"
	"github.com/sakersec/saker/sensor/event"
)

// TypeSetter is implemented by sources whose in-kernel filter can change
// while running (the eBPF driver).
type TypeSetter interface {
	SetTypes([]event.Type) error
}

// ReloadInterval is how often the rules files are checked for changes.
const ReloadInterval = 2 * time.Second

// Reload loads the rules again and switches the running engine to them,
// adjusting the in-kernel filter. When the new rules do not load, the
// running ones stay and the error says why.
func (s *Sensor) Reload() error {
	cfg := s.o.Config
	if cfg == nil {
		cfg = config.Default()
	}
	rs, res, from, err := LoadRules(cfg, s.log)
	if err != nil {
		return fmt.Errorf("reload: keeping the running rules: %w", err)
	}
	if err := s.Runner.SetRules(rs); err != nil {
		return fmt.Errorf("reload: keeping the running rules: %w", err)
	}
	s.Ruleset, s.LoadResult, s.RulesSource = rs, res, from
	types := CaptureTypes(rs, cfg)
	if ts, ok := s.source.(TypeSetter); ok {
		if err := ts.SetTypes(types); err != nil {
			s.log.Warn("reload: the capture keeps its previous event types", "err", err)
		} else {
			s.Types = types
		}
	}
	s.log.Info("rules reloaded", "rules", s.Runner.Rules(), "from", from, "event_types", len(types))
	return nil
}

// watchRules reloads on SIGHUP and, when the configuration watches files
// (watch_config_files), whenever a rules file or directory changes; the
// default locations are watched too when the embedded rules run, so
// installing rules into /etc/falco takes effect without a restart.
func (s *Sensor) watchRules(ctx context.Context, watch bool) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var tick <-chan time.Time
	if watch {
		t := time.NewTicker(ReloadInterval)
		defer t.Stop()
		tick = t.C
	}
	last := s.rulesFingerprint()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			s.log.Info("SIGHUP: reloading rules")
		case <-tick:
			fp := s.rulesFingerprint()
			if fp == last {
				continue
			}
			last = fp
			s.log.Info("rules files changed: reloading")
		}
		if err := s.Reload(); err != nil {
			s.log.Error(err.Error())
		}
	}
}

// rulesFingerprint hashes the names, sizes and modification times of the
// configured rules files (directories expanded).
func (s *Sensor) rulesFingerprint() uint64 {
	cfg := s.o.Config
	if cfg == nil {
		cfg = config.Default()
	}
	h := fnv.New64a()
	for _, p := range cfg.RulesFiles {
		files := []string{p}
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			m, _ := filepath.Glob(filepath.Join(p, "*.y*ml"))
			sort.Strings(m)
			files = m
		}
		for _, f := range files {
			st, err := os.Stat(f)
			if err != nil {
				fmt.Fprintf(h, "%s:absent;", f)
				continue
			}
			fmt.Fprintf(h, "%s:%d:%d;", f, st.Size(), st.ModTime().UnixNano())
		}
	}
	return h.Sum64()
}
