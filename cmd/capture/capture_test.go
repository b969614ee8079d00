package capture_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/clitest"
	"github.com/sakersec/saker/internal/testutil"
)

// runCLI runs sakerctl in-process: stdout, stderr and the exit code.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return clitest.Run(t, args...)
}

func seed(name string) string {
	return filepath.Join(testutil.RepoRoot(), "testdata", "captures", name)
}

func lines(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestReadWithCondition(t *testing.T) {
	out, errOut, code := runCLI(t, "capture", "read", seed("read_shadow.trace"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	all := lines(out)
	if len(all) < 20 {
		t.Fatalf("%d events printed, want the whole recording:\n%s", len(all), out)
	}
	out, errOut, code = runCLI(t, "capture", "read", seed("read_shadow.trace"), "evt.type in (open, openat) and fd.name = /etc/shadow")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got := lines(out)
	if len(got) != 1 || !strings.Contains(got[0], " cat (") || !strings.Contains(got[0], " openat res=SUCCESS ") || !strings.HasSuffix(got[0], " fd.name=/etc/shadow") {
		t.Errorf("filtered read:\n%s", out)
	}
	// Macros and lists of rules files work in conditions.
	out, _, code = runCLI(t, "capture", "read", seed("read_shadow.trace"), "saker_open_read and fd.name in (saker_sensitive_files)", "-r", "embedded", "--fields", "proc.name,proc.pname,fd.name")
	if code != 0 || strings.TrimSpace(out) != "proc.name=cat proc.pname=sh fd.name=/etc/shadow" {
		t.Errorf("macro filter (exit %d):\n%s", code, out)
	}
}

func TestReadJSON(t *testing.T) {
	out, errOut, code := runCLI(t, "capture", "read", seed("shell_from_find.trace"), "evt.type = execve and evt.res = SUCCESS", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var names []string
	for _, l := range lines(out) {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("not JSON: %v: %s", err, l)
		}
		if ev["evt.type"] != "execve" || ev["evt.num"] == nil || ev["proc.pid"] == nil {
			t.Errorf("event %v", ev)
		}
		names = append(names, ev["proc.name"].(string))
	}
	if strings.Join(names, ",") != "env,find,sh,id" {
		t.Errorf("execs %v, want env,find,sh,id", names)
	}
}

func TestReadErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{seed("read_shadow.trace"), "proc.nme = cat"}, `invalid filter condition "proc.nme = cat": column 1: unknown field proc.nme`},
		{[]string{seed("read_shadow.trace"), "proc.name = cat and"}, "column 20"},
		{[]string{seed("record.sh")}, "not a Saker trace file"},
		{[]string{seed("read_shadow.trace"), "--fields", "proc.nam"}, "--fields: unknown field"},
		{[]string{seed("read_shadow.trace"), "-o", "yaml"}, "want"},
	} {
		_, errOut, code := runCLI(t, append([]string{"capture", "read"}, c.args...)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errOut, c.want)
		}
	}
}

// record records a command, again when the kernel dropped events (the
// capture sees the whole machine, which CI keeps busy), so that a
// recording the test checks is complete.
func record(t *testing.T, file string, args ...string) {
	t.Helper()
	for try := 1; ; try++ {
		_, errOut, code := runCLI(t, append([]string{"capture", "record", file}, args...)...)
		if code != 0 {
			t.Fatalf("record %v: exit %d: %s", args, code, errOut)
		}
		if !strings.Contains(errOut, "the kernel dropped events") {
			return
		}
		if try == 3 {
			t.Fatalf("the kernel dropped events in 3 recordings in a row: %s", errOut)
		}
	}
}

// A live recording of a command holds its process tree, which reads back
// with process fields rebuilt from the recording.
func TestRecordCommand(t *testing.T) {
	testutil.NeedBPF(t)
	file := filepath.Join(t.TempDir(), "cat.trace")
	record(t, file, "--", "sh", "-c", "cat /etc/hostname >/dev/null; true")
	out, errOut, code := runCLI(t, "capture", "read", file, "evt.type in (open, openat) and fd.name = /etc/hostname", "--fields", "proc.name,proc.pname,proc.cmdline")
	if code != 0 || strings.TrimSpace(out) != "proc.name=cat proc.pname=sh proc.cmdline=cat /etc/hostname" {
		t.Errorf("read (exit %d, %s):\n%s", code, errOut, out)
	}
	// Only the command's tree: every process is sh, cat or the child
	// sakerctl forked before it executed sh.
	out, errOut, code = runCLI(t, "capture", "read", file, "--fields", "proc.name")
	if code != 0 || !strings.Contains(out, "proc.name=cat") {
		t.Errorf("read --fields proc.name (exit %d, %s):\n%s", code, errOut, out)
	}
	for _, l := range lines(out) {
		switch l {
		case "proc.name=sh", "proc.name=cat", "proc.name=capture.test":
		default:
			t.Errorf("event of another process: %s", l)
		}
	}

	// --filter keeps the matching events only.
	file2 := filepath.Join(t.TempDir(), "filtered.trace")
	record(t, file2, "--filter", "proc.name = cat", "--", "sh", "-c", "cat /etc/hostname >/dev/null")
	// (A replay can name a few events differently from the live state:
	// live, a process first seen after its exec is read from /proc.)
	out, _, _ = runCLI(t, "capture", "read", file2, "evt.type in (execve, openat)", "--fields", "evt.type,proc.name,fd.name")
	if !strings.Contains(out, "evt.type=execve proc.name=cat") || !strings.Contains(out, "evt.type=openat proc.name=cat fd.name=/etc/hostname") || strings.Contains(out, "proc.name=sh") {
		t.Errorf("filtered recording:\n%s", out)
	}
	if _, errOut, code := runCLI(t, "capture", "record", file2, "--filter", "proc.nme = x", "--", "true"); code == 0 || !strings.Contains(errOut, "--filter: invalid filter condition") {
		t.Errorf("bad --filter: exit %d %q", code, errOut)
	}
	if _, err := os.Stat(file2); err != nil {
		t.Errorf("a bad --filter must not remove the earlier file: %v", err)
	}
}

// Without a command the recording stops after --duration.
func TestRecordDuration(t *testing.T) {
	testutil.NeedBPF(t)
	file := filepath.Join(t.TempDir(), "quiet.trace")
	_, errOut, code := runCLI(t, "capture", "record", file, "--duration", "300ms", "--filter", "proc.name = saker-no-such")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "trace file written") || !strings.Contains(errOut, "events=0") {
		t.Errorf("stderr: %s", errOut)
	}
	out, errOut, code := runCLI(t, "capture", "read", file)
	if code != 0 || out != "" {
		t.Errorf("read: exit %d %q %s", code, out, errOut)
	}
	if _, errOut, code := runCLI(t, "capture", "record", file, "--duration", "-1s"); code == 0 || !strings.Contains(errOut, "want a positive duration") {
		t.Errorf("negative duration: exit %d %q", code, errOut)
	}
}
