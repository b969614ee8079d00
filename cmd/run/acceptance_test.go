package run

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/defaults"
	"github.com/sakersec/saker/sensor/runner"
)

const memfdHelperEnv = "SAKER_TEST_MEMFD_EXEC"

// TestMain doubles as the memfd helper: re-executed with memfdHelperEnv it
// copies /bin/true into a memfd and executes it, which is what fileless
// malware does.
func TestMain(m *testing.M) {
	if os.Getenv(memfdHelperEnv) == "1" {
		memfdExec()
	}
	if n := os.Getenv(openLoopEnv); n != "" {
		openLoop(n)
	}
	os.Exit(m.Run())
}

func memfdExec() {
	fd, err := unix.MemfdCreate("saker-acceptance", 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "memfd_create:", err)
		os.Exit(2)
	}
	bin, err := os.ReadFile("/bin/true")
	if err != nil {
		os.Exit(2)
	}
	if _, err := unix.Write(fd, bin); err != nil {
		os.Exit(2)
	}
	err = unix.Exec(fmt.Sprintf("/proc/self/fd/%d", fd), []string{"true"}, os.Environ())
	fmt.Fprintln(os.Stderr, "exec memfd:", err)
	os.Exit(2)
}

// alerts collects the sensor's alerts.
type alerts struct {
	mu  sync.Mutex
	all []*alert.Alert
}

func (c *alerts) add(a *alert.Alert) {
	c.mu.Lock()
	c.all = append(c.all, a)
	c.mu.Unlock()
}

func fieldOf(a *alert.Alert, name string) any {
	for _, f := range a.OutputFields {
		if f.Name == name {
			return f.Value
		}
	}
	return nil
}

// wait returns the first alert of rule for which match holds, waiting up
// to a generous deadline (the machine may be loaded; this is not a timing
// assertion).
func (c *alerts) wait(t *testing.T, rule string, match func(*alert.Alert) bool) *alert.Alert {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		for _, a := range c.all {
			if a.Rule == rule && match(a) {
				c.mu.Unlock()
				return a
			}
		}
		c.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var seen []string
	for _, a := range c.all {
		seen = append(seen, a.Rule+": "+a.Output)
	}
	t.Fatalf("no %q alert; alerts seen:\n%s", rule, strings.Join(seen, "\n"))
	return nil
}

func pidIs(pid int) func(*alert.Alert) bool {
	return func(a *alert.Alert) bool { return fmt.Sprint(fieldOf(a, "proc.pid")) == fmt.Sprint(pid) }
}

func ppidIs(pid int) func(*alert.Alert) bool {
	return func(a *alert.Alert) bool { return fmt.Sprint(fieldOf(a, "proc.ppid")) == fmt.Sprint(pid) }
}

// startSensor runs `sakerctl run` in-process on the rules file with the
// kernel capture and returns its alerts once events flow.
func startSensor(t *testing.T, rulesFile string, extra ...string) (*alerts, *runner.Sensor) {
	t.Helper()
	return startSensorWith(t, rulesFile, extra)
}

// runSensor runs Run(o) in the background until the test ends and returns
// the sensor once it has started; the test fails if it does not start
// within a minute or stop within 30 s of the end, or returns an error.
func runSensor(t testing.TB, o *Options) *runner.Sensor {
	t.Helper()
	started := make(chan *runner.Sensor, 1)
	o.Started = func(s *runner.Sensor) { started <- s }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o) }()
	var s *runner.Sensor
	select {
	case s = <-started:
	case err := <-done:
		cancel()
		t.Fatalf("sensor did not start: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("sensor setup took over a minute")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("sensor: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("sensor did not stop within 30s of cancellation")
		}
	})
	return s
}

func startSensorWith(t testing.TB, rulesFile string, extra []string, hooks ...func(*alert.Alert)) (*alerts, *runner.Sensor) {
	t.Helper()
	cfgFile := filepath.Join(t.TempDir(), "falco.yaml")
	if err := os.WriteFile(cfgFile, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	col := &alerts{}
	o := &Options{
		ConfigFile: cfgFile,
		Overrides: append([]string{
			"stdout_output.enabled=false", "syslog_output.enabled=false", "webserver.enabled=false",
			// 32 MiB: other test packages may run at the same time and
			// every process on the machine is captured.
			"engine.modern_ebpf.buf_size_preset=6",
			`append_output[]={"extra_fields": ["proc.pid", "proc.ppid"]}`,
		}, extra...),
		RulesFiles: []string{rulesFile},
		Stdout:     io.Discard,
		OnAlert: func(a *alert.Alert) {
			col.add(a)
			for _, h := range hooks {
				h(a)
			}
		},
	}
	s := runSensor(t, o)
	deadline := time.Now().Add(30 * time.Second)
	for !s.Runner.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("event loop not running")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return col, s
}

func run(t *testing.T, dir string, name string, args ...string) int {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	pid := cmd.Process.Pid
	cmd.Wait() // some scenarios fail on purpose (EXDEV); the syscall is what counts
	return pid
}

func expectFields(t *testing.T, a *alert.Alert, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if got := fieldOf(a, k); fmt.Sprint(got) != fmt.Sprint(v) {
			t.Errorf("%s: output_fields[%s] = %#v, want %#v", a.Rule, k, got, v)
		}
	}
}

// The stock Falco rules detect real attacks performed by child processes.
func TestAcceptanceStockRules(t *testing.T) {
	testutil.NeedBPF(t)
	rulesFile := testutil.Upstream(t, "rules/falco_rules.yaml")
	col, _ := startSensor(t, rulesFile)
	tmp := t.TempDir()

	t.Run("read sensitive file", func(t *testing.T) {
		pid := run(t, "/", "cat", "/etc/shadow")
		a := col.wait(t, "Read sensitive file untrusted", pidIs(pid))
		if a.Priority != alert.PriorityWarning || a.Source != "syscall" {
			t.Errorf("priority %s source %s", a.Priority, a.Source)
		}
		expectFields(t, a, map[string]any{"fd.name": "/etc/shadow", "proc.name": "cat", "proc.cmdline": "cat /etc/shadow",
			"evt.type": "openat", "user.name": "root", "user.uid": 0, "proc.exepath": mustLook(t, "cat")})
	})

	t.Run("directory traversal", func(t *testing.T) {
		pid := run(t, "/etc/ssl", "cat", "../../etc/shadow")
		a := col.wait(t, "Directory traversal monitored file read", pidIs(pid))
		if a.Priority != alert.PriorityWarning {
			t.Errorf("priority %s", a.Priority)
		}
		expectFields(t, a, map[string]any{"fd.name": "/etc/shadow", "fd.nameraw": "../../etc/shadow", "proc.name": "cat"})
	})

	t.Run("symlink over shadow", func(t *testing.T) {
		link := filepath.Join(tmp, "shadow-link")
		pid := run(t, "/", "ln", "-s", "/etc/shadow", link)
		a := col.wait(t, "Create Symlink Over Sensitive Files", pidIs(pid))
		expectFields(t, a, map[string]any{"evt.arg.target": "/etc/shadow", "evt.arg.linkpath": link, "proc.name": "ln"})
	})

	t.Run("hardlink over shadow", func(t *testing.T) {
		link := filepath.Join(tmp, "shadow-hardlink")
		pid := run(t, "/", "ln", "/etc/shadow", link)
		a := col.wait(t, "Create Hardlink Over Sensitive Files", pidIs(pid))
		expectFields(t, a, map[string]any{"evt.arg.oldpath": "/etc/shadow", "evt.arg.newpath": link, "proc.name": "ln"})
		os.Remove(link)
	})

	t.Run("clear log", func(t *testing.T) {
		logf := fmt.Sprintf("/var/log/saker-acceptance-%d.log", os.Getpid())
		os.WriteFile(logf, []byte("evidence\n"), 0o644)
		defer os.Remove(logf)
		pid := run(t, "/", "sh", "-c", ": > "+logf)
		a := col.wait(t, "Clear Log Activities", pidIs(pid))
		if a.Priority != alert.PriorityWarning {
			t.Errorf("priority %s", a.Priority)
		}
		expectFields(t, a, map[string]any{"fd.name": logf, "proc.name": "sh"})
	})

	t.Run("shell from a web server", func(t *testing.T) {
		nginx := filepath.Join(tmp, "nginx")
		copyFile(t, "/bin/sh", nginx)
		// The shell forks (two commands), so sh runs as nginx's child.
		pid := run(t, "/", nginx, "-c", "sh -c 'exit 0'; true")
		a := col.wait(t, "Run shell untrusted", ppidIs(pid))
		if a.Priority != alert.PriorityNotice {
			t.Errorf("priority %s", a.Priority)
		}
		expectFields(t, a, map[string]any{"proc.name": "sh", "proc.pname": "nginx", "proc.cmdline": "sh -c exit 0"})
	})

	t.Run("memfd exec", func(t *testing.T) {
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(self, "-test.run=^$")
		cmd.Env = append(os.Environ(), memfdHelperEnv+"=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pid := cmd.Process.Pid
		if err := cmd.Wait(); err != nil {
			t.Fatalf("memfd helper: %v", err)
		}
		a := col.wait(t, "Fileless execution via memfd_create", pidIs(pid))
		if a.Priority != alert.PriorityCritical {
			t.Errorf("priority %s", a.Priority)
		}
		expectFields(t, a, map[string]any{"evt.type": "execve"})
		// The comm is the fd number's name; the executable is the memfd.
		if exe, _ := fieldOf(a, "proc.exepath").(string); !strings.HasPrefix(exe, "/memfd:saker-acceptance") {
			t.Errorf("proc.exepath = %q, want the memfd", exe)
		}
	})
}

func mustLook(t *testing.T, name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatal(err)
	}
	p, _ = filepath.EvalSymlinks(p)
	return p
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// A shell in a container built from busybox-static reads /etc/shadow: the
// alert names the container, its name and its image.
func TestAcceptanceDockerContainer(t *testing.T) {
	testutil.NeedBPF(t)
	testutil.NeedDocker(t)
	rulesFile := testutil.Upstream(t, "rules/falco_rules.yaml")
	if _, err := os.Stat("/bin/busybox"); err != nil {
		if testutil.RequirePrivileged() {
			t.Fatal("/bin/busybox is required (apt-get install busybox-static)")
		}
		t.Skip("/bin/busybox (busybox-static) not installed")
	}
	const image = "saker-test/busybox:static"
	dir := t.TempDir()
	copyFile(t, "/bin/busybox", filepath.Join(dir, "busybox"))
	os.WriteFile(filepath.Join(dir, "shadow"), []byte("root:*:19000:0:99999:7:::\n"), 0o600)
	// The container's own user database names uid 0 differently from the
	// host's, so the alert shows which one was read.
	os.WriteFile(filepath.Join(dir, "passwd"), []byte("ctr-root:x:0:0:root:/root:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY busybox /bin/busybox\nCOPY shadow /etc/shadow\nCOPY passwd /etc/passwd\n"+
		`RUN ["/bin/busybox", "--install", "-s", "/bin"]`+"\n"), 0o644)
	if out, err := exec.Command("docker", "build", "-q", "-t", image, dir).CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	col, s := startSensor(t, rulesFile, `append_output[]={"suggested_output": true}`)

	name := fmt.Sprintf("saker-acceptance-%d", os.Getpid())
	exec.Command("docker", "rm", "-f", name).Run()
	// The container waits for a line on stdin before reading the file, so
	// the test can let the sensor learn the container first.
	out, err := exec.Command("docker", "create", "-i", "--name", name, image, "sh", "-c", "read x; cat /etc/shadow").Output()
	if err != nil {
		t.Fatalf("docker create: %v", err)
	}
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", name).Run() })
	id := strings.TrimSpace(string(out))
	cmd := exec.Command("docker", "start", "-ai", name)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c := s.Containers().Get(id); c != nil && c.Resolved {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sensor never resolved the container's metadata")
		}
		time.Sleep(20 * time.Millisecond)
	}
	io.WriteString(stdin, "go\n")
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("container: %v", err)
	}
	a := col.wait(t, "Read sensitive file untrusted", func(a *alert.Alert) bool { return fieldOf(a, "container.id") == id[:12] })
	expectFields(t, a, map[string]any{
		// Debian's static busybox runs applets by re-executing
		// /proc/self/exe, so the kernel comm (proc.name) is "exe".
		"fd.name": "/etc/shadow", "proc.exepath": "/bin/busybox", "container.id": id[:12], "container.name": name,
		"container.image.repository": "saker-test/busybox", "container.image.tag": "static", "user.name": "ctr-root",
	})
	if !strings.Contains(a.Output, "container_name="+name) {
		t.Errorf("output lacks the container name: %s", a.Output)
	}
}

// Events recorded with --write replay with -e into the same alerts, with
// the processes that existed before the recording (the snapshot) known.
func TestAcceptanceRecordReplay(t *testing.T) {
	testutil.NeedBPF(t)
	rulesFile := testutil.Upstream(t, "rules/falco_rules.yaml")
	trace := filepath.Join(t.TempDir(), "session.trace")
	cfgFile := filepath.Join(t.TempDir(), "falco.yaml")
	os.WriteFile(cfgFile, []byte("stdout_output: {enabled: false}\nsyslog_output: {enabled: false}\nwebserver: {enabled: false}\n"), 0o644)

	live := &alerts{}
	started := make(chan *runner.Sensor, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, &Options{ConfigFile: cfgFile, RulesFiles: []string{rulesFile}, WriteFile: trace, Stdout: io.Discard,
			OnAlert: live.add, Started: func(s *runner.Sensor) { started <- s }})
	}()
	var s *runner.Sensor
	select {
	case s = <-started:
	case err := <-done:
		cancel()
		t.Fatal(err)
	}
	for !s.Runner.Ready() {
		time.Sleep(10 * time.Millisecond)
	}
	pid := run(t, "/", "cat", "/etc/shadow")
	want := live.wait(t, "Read sensitive file untrusted", func(a *alert.Alert) bool {
		return strings.Contains(a.Output, "command=cat /etc/shadow")
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	replayed := &alerts{}
	if err := Run(context.Background(), &Options{ConfigFile: cfgFile, RulesFiles: []string{rulesFile}, ReplayFile: trace,
		Stdout: io.Discard, OnAlert: replayed.add}); err != nil {
		t.Fatal(err)
	}
	got := replayed.wait(t, "Read sensitive file untrusted", func(a *alert.Alert) bool {
		return strings.Contains(a.Output, "command=cat /etc/shadow")
	})
	if got.Output != want.Output {
		t.Errorf("replayed output differs:\n live   %s\n replay %s", want.Output, got.Output)
	}
	// The parent (this test process, not captured) is known from the
	// snapshot the recording starts with.
	if p := fieldOf(got, "proc.pname"); p == nil || p == "" {
		t.Errorf("parent unknown in the replay (pid %d): %v", pid, got.Output)
	}
}

// Saker's embedded rules (what `sudo make run` uses) fire on real
// behaviour.
func TestAcceptanceEmbeddedDefaults(t *testing.T) {
	testutil.NeedBPF(t)
	rulesFile := filepath.Join(t.TempDir(), "saker_rules.yaml")
	if err := os.WriteFile(rulesFile, defaults.Rules, 0o644); err != nil {
		t.Fatal(err)
	}
	col, _ := startSensor(t, rulesFile)

	pid := run(t, "/", "cat", "/etc/shadow")
	a := col.wait(t, "Sensitive file read by untrusted program", pidIs(pid))
	expectFields(t, a, map[string]any{"fd.name": "/etc/shadow", "proc.name": "cat", "container.name": "host"})

	devFile := fmt.Sprintf("/dev/saker-acceptance-%d", os.Getpid())
	defer os.Remove(devFile)
	pid = run(t, "/", "touch", devFile)
	a = col.wait(t, "Regular file created in dev", pidIs(pid))
	expectFields(t, a, map[string]any{"fd.name": devFile})

	logf := fmt.Sprintf("/var/log/saker-acceptance-defaults-%d.log", os.Getpid())
	os.WriteFile(logf, []byte("x\n"), 0o644)
	defer os.Remove(logf)
	pid = run(t, "/", "sh", "-c", ": > "+logf)
	col.wait(t, "Log file truncated", pidIs(pid))

	link := filepath.Join(t.TempDir(), "l")
	pid = run(t, "/", "ln", "-s", "/etc/shadow", link)
	col.wait(t, "Symlink to sensitive file", pidIs(pid))

	self, _ := os.Executable()
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), memfdHelperEnv+"=1")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	a = col.wait(t, "Program run from memory", pidIs(cmd.Process.Pid))
	if a.Priority != alert.PriorityCritical {
		t.Errorf("priority %s", a.Priority)
	}
}
