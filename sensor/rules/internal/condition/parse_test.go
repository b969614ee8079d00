package condition

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"proc.name = bash", "proc.name = bash"},
		{"a and b or c and not d", "((a and b) or (c and not d))"},
		{"not not a", "not not a"},
		{"(a or b) and c", "((a or b) and c)"},
		{"proc.name in (a, 'b c', \"d\")", `proc.name in (a, "b c", "d")`},
		{"proc.name in ()", "proc.name in ()"},
		{"proc.name in shells", "proc.name in (shells)"},
		{"fd.num>=0", "fd.num >= 0"},
		{"fd.name!=/tmp", "fd.name != /tmp"},
		{"evt.arg.flags contains O_CREAT", "evt.arg.flags contains O_CREAT"},
		{"proc.aname[2]=sshd", "proc.aname[2] = sshd"},
		{"jevt.value[/a b/c]=x", "jevt.value[/a b/c] = x"},
		{"tolower(proc.name) = bash", "tolower(proc.name) = bash"},
		{"toupper(b64(proc.env)) contains X", "toupper(b64(proc.env)) contains X"},
		{"proc.name = val(proc.pname)", "proc.name = val(proc.pname)"},
		{"proc.name exists", "proc.name exists"},
		{"proc.name CONTAINS x AND NOT y", "(proc.name contains x and not y)"},
		{`proc.cmdline contains "a\"b\\c\td"`, "proc.cmdline contains \"a\\\"b\\\\c\td\""},
		{"ka.uri startswith /healthz?", "ka.uri startswith /healthz?"},
		{"user.loginuid = -1", "user.loginuid = -1"},
		{"evt.dir = < and evt.dir=>", "(evt.dir = < and evt.dir = >)"},
		{"proc.name = <NA> or proc.name!=a", "(proc.name = <NA> or proc.name != a)"},
		{"proc.cmdline contains -x>y", "proc.cmdline contains -x>y"},
		{"fd.num<0 and fd.num>=1", "(fd.num < 0 and fd.num >= 1)"},
		{"fd.name glob /tmp/[ab]*", `fd.name glob "/tmp/[ab]*"`},
	} {
		n, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := n.String(); got != tc.want {
			t.Errorf("Parse(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		in  string
		pos int
		msg string
	}{
		{"", 0, "condition ends"},
		{"proc.name =", 11, "expected a value"},
		{"(a", 2, "expected ) to close"},
		{"a b", 2, `unexpected "b" after a complete expression`},
		{"proc.name = a b", 14, "unexpected"},
		{"proc.name bash", 10, "must be followed by an operator"},
		{"proc.name = 'abc", 12, "unterminated quoted string"},
		{`proc.name = "\q"`, 13, `unknown escape \q`},
		{"proc.name = (a)", 12, "takes one value, not a list"},
		{"proc.name in (a b)", 16, "expected , or )"},
		{"and", 0, `unexpected "and"`},
		{"proc.aname[2 = a", 10, "unterminated ["},
		{"tolower(proc.name = a", 18, "expected ) to close tolower("},
		{"a = = b", 4, "unexpected operator"},
		{"9x", 0, "not a valid macro name"},
	} {
		_, err := Parse(tc.in)
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("Parse(%q): error %v, want *Error", tc.in, err)
			continue
		}
		if e.Pos != tc.pos || !strings.Contains(e.Msg, tc.msg) {
			t.Errorf("Parse(%q) = %d %q, want %d %q", tc.in, e.Pos, e.Msg, tc.pos, tc.msg)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	if _, err := Parse(strings.Repeat("(", 5000) + "a" + strings.Repeat(")", 5000)); err == nil {
		t.Error("deep nesting accepted")
	}
	if _, err := Parse(strings.Repeat("not ", 5000) + "a"); err == nil {
		t.Error("deep not accepted")
	}
}

func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{
		"proc.name = bash", "evt.type in (open, openat) and not fd.name pmatch (/etc)",
		"tolower(proc.name) contains x or proc.aname[2] = 'a b'", "proc.name = val(proc.pname)",
		`fd.name glob "/tmp/*" and evt.buffer bcontains 7f45`, "((a)) and not b", "ka.req.pod.containers.image intersects (x)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			return
		}
		// What the parser accepts prints back to a condition that parses to
		// the same tree.
		out := n.String()
		n2, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String %q fails: %v", s, out, err)
		}
		if n2.String() != out {
			t.Fatalf("round trip of %q: %q then %q", s, out, n2.String())
		}
	})
}
