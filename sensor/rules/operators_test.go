package rules

import (
	"encoding/base64"
	"net/netip"
	"testing"
)

func TestOperators(t *testing.T) {
	e := ev(t, "openat",
		"proc.name", "Bash",
		"fd.name", "/etc/shadow",
		"proc.cmdline", "bash -c 'cat /etc/shadow'",
		"fd.num", int64(3),
		"evt.rawres", int64(-2),
		"user.loginuid", int64(-1),
		"user.uid", uint64(0),
		"fd.sport", uint64(443),
		"evt.is_open_read", true,
		"fd.sip", netip.MustParseAddr("10.1.2.3"),
		"fd.snet", netip.MustParseAddr("192.168.7.1"),
		"evt.buffer", []byte("\x7fELF\x02\x01"),
		"fd.types", []string{"ipv4", "file"},
		"proc.aname", []string{"sshd", "systemd"},
		"proc.aname[1]", "sshd",
		"evt.arg[flags]", "O_RDONLY|O_CLOEXEC",
		"proc.env", base64.StdEncoding.EncodeToString([]byte("secret")),
		"proc.pname", "Bash",
		"fd.directory", "/etc",
	)
	for _, tc := range []struct {
		cond string
		want bool
	}{
		{"proc.name = Bash", true},
		{"proc.name == Bash", true},
		{"proc.name = bash", false},
		{"proc.name != bash", true},
		{"proc.name != Bash", false},
		{"proc.exe = x", false},  // missing value: false
		{"proc.exe != x", false}, // also for !=
		{"not proc.exe = x", true},
		{"proc.exe exists", false},
		{"proc.name exists", true},
		{"fd.name contains shad", true},
		{"fd.name contains SHAD", false},
		{"fd.name icontains SHAD", true},
		{"fd.name startswith /etc/", true},
		{"fd.name endswith dow", true},
		{"fd.name endswith /etc", false},
		{"fd.name glob /etc/*", true},
		{"fd.name glob '*shadow'", true},
		{"fd.name glob /e?c/sha[a-d]ow", true},
		{"fd.name glob /etc/[!s]*", false},
		{"fd.name glob /ETC/*", false},
		{"fd.name iglob /ETC/*", true},
		{"fd.name pmatch (/etc)", true},
		{"fd.name pmatch (/et)", false},
		{"fd.name pmatch (/usr, /etc/)", true},
		{"fd.name in (/etc/passwd, /etc/shadow)", true},
		{"fd.name in (/etc/passwd)", false},
		{"fd.name intersects (/etc/shadow)", true},
		{"fd.name in ()", false},
		{"fd.name regex '/etc/sh.*'", true},
		{"fd.name regex 'sh.*'", false}, // whole value
		{"evt.buffer bcontains 454c46", true},
		{"evt.buffer bcontains 454c47", false},
		{"evt.buffer bstartswith 7f454c46", true},
		{"evt.buffer bstartswith 454c46", false},
		{"fd.num >= 0", true},
		{"fd.num > 3", false},
		{"fd.num < 4", true},
		{"fd.num <= 3", true},
		{"fd.num = 3", true},
		{"fd.num != 3", false},
		{"fd.num in (1, 2, 3)", true},
		{"evt.rawres < 0", true},
		{"evt.rawres = -2", true},
		{"user.loginuid = -1", true},
		{"user.uid = 0", true},
		{"user.uid > -1", true},
		{"fd.sport in (80, 443)", true},
		{"evt.is_open_read = true", true},
		{"evt.is_open_read = false", false},
		{"evt.is_open_read != false", true},
		{"fd.sip = 10.1.2.3", true},
		{"fd.sip in (\"10.0.0.0/8\", 172.16.0.0/12)", true},
		{"fd.sip in (192.168.0.0/16)", false},
		{"fd.snet in (192.168.0.0/16)", true},
		{"fd.snet = 192.168.7.0/24", true},
		{"fd.types in (ipv4, file, unix)", true}, // every value in the set
		{"fd.types in (ipv4, unix)", false},
		{"fd.types intersects (ipv4, unix)", true}, // one value
		{"fd.types intersects (unix)", false},
		{"proc.aname = systemd", true}, // any ancestor
		{"proc.aname in (init, sshd)", true},
		{"proc.aname[1] = sshd", true},
		{"proc.aname[1] = systemd", false},
		{"evt.arg.flags contains O_RDONLY", true},
		{"evt.arg[flags] contains O_CLOEXEC", true},
		{"tolower(proc.name) = bash", true},
		{"toupper(proc.name) = BASH", true},
		{"b64(proc.env) = secret", true},
		{"basename(fd.name) = shadow", true},
		{"len(fd.name) = 11", true},
		{"len(fd.types) = 2", true},
		{"tolower(toupper(proc.name)) = bash", true},
		{"proc.name = val(proc.pname)", true},
		{"fd.name startswith val(fd.directory)", true},
		{"proc.name = val(proc.exe)", false},
		{"evt.type = openat", true},
		{"evt.type in (open, openat)", true},
		{"evt.type != openat", false},
		{"not evt.type = execve", true},
		{"evt.type startswith open", true},
		{"(proc.name = x or fd.num = 3) and not (fd.num = 4)", true},
		{"proc.name = x or proc.name = y or proc.name = Bash", true},
		{"proc.name = Bash and fd.num = 3 and fd.name = /x", false},
		{"proc.cmdline contains \"-c 'cat\"", true},
		{"proc.cmdline contains '-c \\'cat'", true},
	} {
		t.Run(tc.cond, func(t *testing.T) {
			rs := mustLoad(t, ruleYAML("r", tc.cond))
			got := len(fire(t, rs, e)) == 1
			if got != tc.want {
				t.Errorf("%s: got %v, want %v", tc.cond, got, tc.want)
			}
		})
	}
}

func TestOperatorTypeErrors(t *testing.T) {
	for _, tc := range []struct{ cond, want string }{
		{"fd.num contains 3", "operator contains cannot be used on fd.num, a int64 field"},
		{"fd.num = abc", `fd.num is a int64 field: "abc" is not a number`},
		{"evt.is_open_read = yes", "compare with true or false"},
		{"fd.sip = notanip", "is not an address"},
		{"evt.buffer bcontains zz", "takes hex bytes"},
		{"proc.name regex '('", "bad regular expression"},
		{"proc.nosuch = 1", "unknown field proc.nosuch"},
		{"proc.nmae = 1", "unknown field proc.nmae in source syscall (did you mean proc.name?)"},
		{"tolower(fd.num) = 1", "tolower() needs a string field"},
		{"proc.name = val(fd.num)", "cannot compare proc.name (string) with fd.num (int64)"},
		{"proc.aname[x] = a", "wants a non-negative index"},
		{"proc.name bcontains 41", "operator bcontains cannot be used on proc.name, a string field"},
		{"evt.buffer glob x", "operator glob cannot be used on evt.buffer, a bytes field"},
		{"fd.sip contains 1", "operator contains cannot be used on fd.sip, a ipaddr field"},
		{"fd.types = file", "fd.types is a list field: it supports only exists, in and intersects, not ="},
		{"fd.types contains file", "supports only exists, in and intersects"},
	} {
		_, _, err := load(t, ruleYAML("r", tc.cond))
		if err == nil || !contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", tc.cond, err, tc.want)
		}
	}
}
