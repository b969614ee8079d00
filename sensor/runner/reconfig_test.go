package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/config"
	"github.com/sakersec/saker/sensor/outputs"
)

// reconfSensor is a hotSensor whose logs and extra sink the test reads.
type reconfSensor struct {
	*hotSensor
	logs *testutil.SyncBuffer
	mu   sync.Mutex
	sunk []string // rules the extra sink received, in order
}

func startReconf(t *testing.T, cfgFile string) *reconfSensor {
	t.Helper()
	h := &reconfSensor{hotSensor: &hotSensor{t: t, src: newChanSource(), counts: map[string]int{}}, logs: &testutil.SyncBuffer{}}
	h.pid.Store(1000)
	load := func() (*config.Config, error) {
		cfg, _, err := config.Load(config.LoadOptions{File: cfgFile})
		return cfg, err
	}
	cfg, err := load()
	if err != nil {
		t.Fatal(err)
	}
	sink := outputs.Func{N: "test", F: func(a *alert.Alert) error {
		h.mu.Lock()
		h.sunk = append(h.sunk, a.Output)
		h.mu.Unlock()
		return nil
	}}
	s, err := Setup(SetupOptions{Config: cfg, LoadConfig: load, ConfigFiles: []string{cfgFile},
		Logger:      slog.New(slog.NewTextHandler(h.logs, nil)),
		OpenCapture: func(CaptureOptions) (EventSource, error) { return h.src, nil },
		ExtraSinks:  []outputs.Sink{sink},
		OnAlert: func(a *alert.Alert) {
			h.hotSensor.mu.Lock()
			h.counts[a.Rule]++
			h.hotSensor.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	h.waitFor("the event loop", s.Runner.Ready)
	return h
}

// reconfigure has the configuration read again and applied, as a
// follower does, and waits for the outcome.
func (h *reconfSensor) reconfigure() {
	h.t.Helper()
	before := h.s.ReloadStatus()
	h.s.TriggerReload("test")
	h.waitFor("the reload", func() bool {
		sn := h.s.ReloadStatus()
		return sn.Reloads+sn.Failures > before.Reloads+before.Failures
	})
	if sn := h.s.ReloadStatus(); sn.LastError != "" {
		h.t.Fatal(sn.LastError)
	}
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// A reload that changes outputs and append_output applies them with no
// restart: the old file output is drained and closed, the new one gets the
// next alerts in the new format, and the counters carry over. Keys only a
// restart applies are named in one warning, /healthz and /metrics, until
// the files match the running configuration again.
func TestReloadAppliesOutputsAndFlagsRestart(t *testing.T) {
	dir := t.TempDir()
	rf := writeFile(t, "rules.yaml", markerRule("Marker", "/marker/a"))
	fileA, fileB := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.json")
	cfgBody := `watch_config_files: false
rules_files: [` + rf + `]
stdout_output: {enabled: false}
webserver: {enabled: true, listen_address: 127.0.0.1, listen_port: %d, prometheus_metrics_enabled: true}
%s`
	cfgFile := writeFile(t, "falco.yaml", fmt.Sprintf(cfgBody, 0, "file_output: {enabled: true, filename: "+fileA+"}\n"))
	h := startReconf(t, cfgFile)
	wctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	addr, err := h.s.WebAddr(wctx)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) string {
		t.Helper()
		resp, err := http.Get("http://" + addr.String() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	h.open("/marker/a")
	h.waitFor("the text line in a.log", func() bool { return len(lines(t, fileA)) == 1 })

	// Outputs, append_output and two keys only a restart applies change.
	replaceFile(t, cfgFile, fmt.Sprintf(cfgBody, 1, `file_output: {enabled: true, filename: `+fileB+`}
json_output: true
append_output: [{match: {source: syscall}, extra_fields: [proc.name]}]
engine: {kind: modern_ebpf, modern_ebpf: {buf_size_preset: 6}}
`))
	h.reconfigure()
	h.open("/marker/a")
	h.waitFor("the JSON line in b.json", func() bool { return len(lines(t, fileB)) == 1 })
	var got struct {
		Rule         string         `json:"rule"`
		OutputFields map[string]any `json:"output_fields"`
	}
	if err := json.Unmarshal([]byte(lines(t, fileB)[0]), &got); err != nil || got.Rule != "Marker" || got.OutputFields["proc.name"] != "cat" {
		t.Errorf("b.json line %q (err %v): want Marker with the appended proc.name", lines(t, fileB)[0], err)
	}
	if l := lines(t, fileA); len(l) != 1 || strings.HasPrefix(l[0], "{") {
		t.Errorf("a.log after the reload: %q, want the one text line written before", l)
	}
	wantKeys := []string{"engine.modern_ebpf.buf_size_preset", "webserver.listen_port"}
	if sn := h.s.ReloadStatus(); !slices.Equal(sn.RestartPending, wantKeys) {
		t.Errorf("restart pending %v, want %v", sn.RestartPending, wantKeys)
	}
	if body := get("/healthz"); !strings.Contains(body, `"restart_pending":["engine.modern_ebpf.buf_size_preset","webserver.listen_port"]`) {
		t.Errorf("/healthz: %s", body)
	}
	m := get("/metrics")
	for _, want := range []string{"saker_config_restart_pending 1\n", `saker_outputs_sent_total{output="file"} 2` + "\n", `saker_outputs_sent_total{output="test"} 2` + "\n"} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", strings.TrimSpace(want))
		}
	}
	if n := strings.Count(h.logs.String(), "take effect only after a restart"); n != 1 || !strings.Contains(h.logs.String(), `keys="engine.modern_ebpf.buf_size_preset, webserver.listen_port"`) {
		t.Errorf("%d restart warnings, want one naming the keys:\n%s", n, h.logs)
	}
	// The same pending change is not warned about again.
	h.reconfigure()
	if n := strings.Count(h.logs.String(), "take effect only after a restart"); n != 1 {
		t.Errorf("%d restart warnings after a second reload, want still one", n)
	}

	// Back to the running engine and webserver settings: nothing pending.
	replaceFile(t, cfgFile, fmt.Sprintf(cfgBody, 0, "file_output: {enabled: true, filename: "+fileB+"}\njson_output: true\n"))
	h.reconfigure()
	if sn := h.s.ReloadStatus(); len(sn.RestartPending) != 0 {
		t.Errorf("restart pending %v after reverting", sn.RestartPending)
	}
	if m := get("/metrics"); !strings.Contains(m, "saker_config_restart_pending 0\n") {
		t.Error("/metrics still reports a pending restart")
	}
	if body := get("/healthz"); strings.Contains(body, "restart_pending") {
		t.Errorf("/healthz after reverting: %s", body)
	}
}

// Outputs replaced again and again while alerts stream: every alert
// reaches the extra sink exactly once and in order, and the file outputs
// together hold every alert.
func TestReloadOutputsLosesNoAlert(t *testing.T) {
	dir := t.TempDir()
	rf := writeFile(t, "rules.yaml", "- rule: Marker\n  desc: test\n  condition: evt.type = openat and fd.name startswith /marker/a\n  output: opened %fd.name\n  priority: WARNING\n")
	cfgBody := "watch_config_files: false\nrules_files: [" + rf + "]\nstdout_output: {enabled: false}\nwebserver: {enabled: false}\n" +
		"outputs_queue: {capacity: 100000}\nfile_output: {enabled: true, filename: %s}\n"
	files := []string{filepath.Join(dir, "0.log"), filepath.Join(dir, "1.log")}
	cfgFile := writeFile(t, "falco.yaml", fmt.Sprintf(cfgBody, files[0]))
	h := startReconf(t, cfgFile)
	const n = 2000
	stop, stopped := make(chan struct{}), make(chan int)
	go func() {
		i := 0
		defer func() { stopped <- i }()
		for ; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			replaceFile(t, cfgFile, fmt.Sprintf(cfgBody, files[(i+1)%2]))
			if err := h.s.reload(context.Background(), "test", true); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := range n {
		h.open(fmt.Sprintf("/marker/a?%d", i))
	}
	h.waitFor("every alert", func() bool { return h.count("Marker") == n })
	close(stop)
	if swaps := <-stopped; swaps < 2 {
		t.Errorf("only %d output swaps during the stream", swaps)
	}
	h.waitFor("the extra sink", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.sunk) >= n
	})
	h.mu.Lock()
	sunk := slices.Clone(h.sunk)
	h.mu.Unlock()
	if len(sunk) != n {
		t.Fatalf("the extra sink got %d alerts for %d", len(sunk), n)
	}
	for i, o := range sunk {
		if want := fmt.Sprintf("opened /marker/a?%d", i); !strings.HasPrefix(o, want+" ") {
			t.Fatalf("extra sink alert %d is %q, want %q", i, o, want)
		}
	}
	h.waitFor("the file outputs", func() bool { return len(lines(t, files[0]))+len(lines(t, files[1])) == n })
	if st := h.s.Runner.OutputStats(); len(st) != 2 || st[0].Sent != n || st[1].Sent != n || st[0].Dropped+st[1].Dropped != 0 {
		t.Errorf("output stats %+v, want %d sent by each and no drop", st, n)
	}
}
