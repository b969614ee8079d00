package event

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestSchemasWellFormed(t *testing.T) {
	for _, ty := range Types() {
		if ty.String() == "unknown" {
			t.Errorf("type %d has no name", ty)
		}
		if got, ok := ParseType(ty.String()); !ok || got != ty {
			t.Errorf("ParseType(%q) = %v, %v", ty.String(), got, ok)
		}
		seen := map[string]bool{}
		for _, ai := range Schema(ty) {
			if seen[ai.Name] {
				t.Errorf("%s: duplicate argument %q", ty, ai.Name)
			}
			seen[ai.Name] = true
			if (ai.Kind == KindFlags || ai.Kind == KindEnum) && ai.Flags == nil {
				t.Errorf("%s.%s: flags kind without a FlagSet", ty, ai.Name)
			}
		}
	}
}

func openatEvent(t testing.TB, flags int64) *Event {
	var enc Encoder
	enc.Int(-100).Str("/etc/shadow").Int(flags).Int(0o644).Int(0x803).Int(1234)
	e := &Event{Type: TypeOpenat, Res: 3, TID: 10, PID: 10}
	copy(e.Comm[:], "cat")
	if err := e.SetArgs(enc.Bytes()); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestOpenatArgs(t *testing.T) {
	e := openatEvent(t, OpenRead|OpenCloexec)
	checks := map[string]string{
		"fd":    "3",
		"dirfd": "-100",
		"name":  "/etc/shadow",
		"flags": "O_RDONLY|O_CLOEXEC",
		"mode":  "0644",
		"dev":   "803",
		"ino":   "1234",
	}
	for name, want := range checks {
		a, ok := e.Arg(name)
		if !ok {
			t.Fatalf("Arg(%q) missing", name)
		}
		if got := string(a.AppendValue(nil)); got != want {
			t.Errorf("evt.arg.%s = %q, want %q", name, got, want)
		}
	}
	if got := string(e.ArgAt(2).Raw); got != "/etc/shadow" {
		t.Errorf("evt.arg[2] = %q", got)
	}
	if _, ok := e.Arg("nope"); ok {
		t.Error("unknown argument reported present")
	}
	want := "fd=3 dirfd=-100 name=/etc/shadow flags=4097(O_RDONLY|O_CLOEXEC) mode=0644 dev=803 ino=1234"
	if got := string(e.AppendArgs(nil)); got != want {
		t.Errorf("evt.args = %q\nwant      %q", got, want)
	}
	if !e.IsOpenRead() || e.IsOpenWrite() {
		t.Errorf("read-only open: is_open_read=%v is_open_write=%v", e.IsOpenRead(), e.IsOpenWrite())
	}
	if string(e.CommBytes()) != "cat" || e.Dir() != '<' {
		t.Errorf("comm %q dir %c", e.CommBytes(), e.Dir())
	}
}

func TestOpenFlagsRendering(t *testing.T) {
	for flags, want := range map[int64]string{
		OpenReadWrite | OpenCreat | OpenTrunc: "O_TRUNC|O_CREAT|O_RDWR",
		OpenWrite | OpenAppend:                "O_APPEND|O_WRONLY",
		OpenNone:                              "O_NONE",
	} {
		e := openatEvent(t, flags)
		a, _ := e.Arg("flags")
		if got := string(a.AppendValue(nil)); got != want {
			t.Errorf("flags %#x = %q, want %q", flags, got, want)
		}
	}
	rw := openatEvent(t, OpenReadWrite)
	if !rw.IsOpenRead() || !rw.IsOpenWrite() {
		t.Error("O_RDWR must be both open_read and open_write")
	}
}

func TestConnectTuple(t *testing.T) {
	var enc Encoder
	enc.Tuple(Tuple{Family: FamilyInet, SrcAddr: netip.MustParseAddr("127.0.0.1"), SrcPort: 40000,
		DstAddr: netip.MustParseAddr("127.0.0.2"), DstPort: 8080}).
		Int(5).
		SockAddr(SockAddr{Family: FamilyInet6, Addr: netip.MustParseAddr("::1"), Port: 443})
	e := &Event{Type: TypeConnect}
	if err := e.SetArgs(enc.Bytes()); err != nil {
		t.Fatal(err)
	}
	a, _ := e.Arg("tuple")
	tu, ok := a.Tuple()
	if !ok || tu.DstAddr != netip.MustParseAddr("127.0.0.2") || tu.DstPort != 8080 || tu.SrcPort != 40000 {
		t.Errorf("tuple = %+v %v", tu, ok)
	}
	if got := string(a.AppendValue(nil)); got != "127.0.0.1:40000->127.0.0.2:8080" {
		t.Errorf("tuple rendering %q", got)
	}
	ad, _ := e.Arg("addr")
	if got := string(ad.AppendValue(nil)); got != "::1:443" {
		t.Errorf("addr rendering %q", got)
	}
}

func TestEnumAndList(t *testing.T) {
	var enc Encoder
	enc.Int(17).Int(3).Int(0)
	e := &Event{Type: TypeSocket, Res: 4}
	if err := e.SetArgs(enc.Bytes()); err != nil {
		t.Fatal(err)
	}
	d, _ := e.Arg("domain")
	if got := string(d.AppendValue(nil)); got != "AF_PACKET" {
		t.Errorf("domain = %q", got)
	}

	var p Encoder
	p.Int(0).Int(0).Int(16).Int(1234)
	e = &Event{Type: TypePtrace}
	if err := e.SetArgs(p.Bytes()); err != nil {
		t.Fatal(err)
	}
	r, _ := e.Arg("request")
	if got := string(r.AppendValue(nil)); got != "PTRACE_ATTACH" {
		t.Errorf("request = %q", got)
	}

	ex := execveEvent(t)
	args, _ := ex.Arg("args")
	if got := string(args.AppendValue(nil)); got != "-c echo hi" {
		t.Errorf("args = %q", got)
	}
	fl, _ := ex.Arg("flags")
	if got := string(fl.AppendValue(nil)); got != "EXE_WRITABLE|EXE_FROM_MEMFD" {
		t.Errorf("exe flags = %q", got)
	}
	if v, _ := ex.Int("ptid"); v != 1 {
		t.Errorf("ptid = %d", v)
	}
	if b, _ := ex.Bytes("comm"); string(b) != "sh" {
		t.Errorf("comm arg = %q", b)
	}
}

func execveEvent(t testing.TB) *Event {
	var enc Encoder
	enc.Str("sh").List("-c", "echo hi").Str("/root").List("cgroup=/user.slice").
		List("HOME=/root", "TERM=xterm").Int(0).Int(1000).Int(ExeWritable | ExeFromMemfd).
		Int(0).Int(0x1ff).Int(0x1ff).Int(42).Int(1).Int(2).Str("/usr/bin/dash").Str("/bin/sh")
	e := &Event{Type: TypeExecve, TID: 7, PID: 7, PPID: 1}
	copy(e.Comm[:], "sh")
	if err := e.SetArgs(enc.Bytes()); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestMalformed(t *testing.T) {
	var enc Encoder
	enc.Int(1)
	e := &Event{Type: TypeOpenat}
	if err := e.SetArgs(enc.Bytes()); !errors.Is(err, ErrMalformed) {
		t.Errorf("too few arguments: err = %v", err)
	}
	if a := e.ArgAt(2); a.Valid() {
		t.Error("argument of a malformed event reported valid")
	}
	enc.Reset()
	enc.Int(1).Int(2)
	e = &Event{Type: TypeClose}
	if err := e.SetArgs(enc.Bytes()); !errors.Is(err, ErrMalformed) {
		t.Errorf("trailing bytes: err = %v", err)
	}
	e = &Event{Type: TypeClose}
	if err := e.SetArgs([]byte{9, 0, 1}); !errors.Is(err, ErrMalformed) {
		t.Errorf("length past the end: err = %v", err)
	}
}

func TestAccessorsDoNotAllocate(t *testing.T) {
	e := openatEvent(t, OpenRead)
	area := append([]byte(nil), e.area...)
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		if err := e.SetArgs(area); err != nil {
			t.Fatal(err)
		}
		a, _ := e.Arg("flags")
		buf = a.AppendValue(buf[:0])
		buf = e.AppendArgs(buf[:0])
		_ = e.IsOpenRead()
	})
	if allocs != 0 {
		t.Errorf("decode + accessors allocate %.1f times per event", allocs)
	}
}

func TestCreatIsNotOpenWrite(t *testing.T) {
	var enc Encoder
	enc.Str("/tmp/x").Int(0o600).Int(0).Int(0)
	e := &Event{Type: TypeCreat, Res: 3}
	if err := e.SetArgs(enc.Bytes()); err != nil {
		t.Fatal(err)
	}
	if e.IsOpenWrite() || e.IsOpenRead() {
		t.Error("Falco's evt.is_open_write/read are false for creat")
	}
	if f, ok := e.OpenFlags(); !ok || f != OpenWrite|OpenCreat|OpenTrunc {
		t.Errorf("creat implied flags = %#x %v", f, ok)
	}
}

// Keys agree with the name lookup for every argument of every type, and
// answer "absent" for the types that lack the argument.
func TestArgKeysMatchNames(t *testing.T) {
	names := map[string]bool{}
	for _, ty := range append(Types(), TypeUnknown) {
		for _, ai := range Schema(ty) {
			names[ai.Name] = true
		}
	}
	e := openatEvent(t, OpenRead|OpenCloexec)
	for name := range names {
		k := KeyOf(name)
		if k == nil || k.Name() != name {
			t.Fatalf("KeyOf(%q) = %v", name, k)
		}
		for _, ty := range append(Types(), TypeUnknown, NumTypes) {
			if got, want := k.Index(ty), ArgIndex(ty, name); got != want {
				t.Errorf("%s: key %q index %d, ArgIndex %d", ty, name, got, want)
			}
		}
		a, ok := e.ArgOf(k)
		b, okb := e.Arg(name)
		if ok != okb || string(a.AppendValue(nil)) != string(b.AppendValue(nil)) {
			t.Errorf("openat %s: ArgOf = %q %v, Arg = %q %v", name, a.AppendValue(nil), ok, b.AppendValue(nil), okb)
		}
	}
	if KeyOf("no_such_argument") != nil {
		t.Error("KeyOf of an unknown name is not nil")
	}
	if v, ok := e.IntOf(KeyDirfd); !ok || v != -100 {
		t.Errorf("IntOf(dirfd) = %d, %v", v, ok)
	}
	if v, ok := e.UintOf(KeyIno); !ok || v != 1234 {
		t.Errorf("UintOf(ino) = %d, %v", v, ok)
	}
	if b, ok := e.BytesOf(KeyName); !ok || string(b) != "/etc/shadow" {
		t.Errorf("BytesOf(name) = %q, %v", b, ok)
	}
	if _, ok := e.IntOf(KeyOldfd); ok {
		t.Error("openat has an oldfd")
	}
	e.Type = NumTypes
	if _, ok := e.ArgOf(KeyFD); ok {
		t.Error("out-of-range type has an fd")
	}
}

// Arguments by name land in schema order; a value of an unsupported Go
// type is refused with the argument's name.
func TestEncoderArgs(t *testing.T) {
	var enc Encoder
	if err := enc.Args(TypeOpenat, map[string]any{"name": "/etc/passwd", "dirfd": -100}); err != nil {
		t.Fatal(err)
	}
	var e Event
	e.Type = TypeOpenat
	if err := e.SetArgs(enc.Bytes()); err != nil {
		t.Fatal(err)
	}
	if name, _ := e.BytesOf(KeyName); string(name) != "/etc/passwd" {
		t.Errorf("name = %q", name)
	}
	if fd, _ := e.IntOf(KeyDirfd); fd != -100 {
		t.Errorf("dirfd = %d", fd)
	}
	if flags, ok := e.IntOf(KeyFlags); !ok || flags != 0 {
		t.Errorf("absent flags = %d, %v; want 0", flags, ok)
	}
	enc.Reset()
	err := enc.Args(TypeOpenat, map[string]any{"flags": uint32(1)})
	if err == nil || !strings.Contains(err.Error(), "flags") {
		t.Errorf("uint32 flags: err %v, want an error naming the argument", err)
	}
}
