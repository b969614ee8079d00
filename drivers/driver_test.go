package drivers

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/sensor/event"
)

func TestLoadAttachBothModes(t *testing.T) {
	testutil.NeedBPF(t)
	for _, mode := range []Mode{ModeTPBTF, ModeRawTracepoint} {
		t.Run(string(mode), func(t *testing.T) {
			d, err := Load(LoadOptions{Mode: mode, RingBufferSize: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if d.Mode() != mode {
				t.Errorf("mode = %s, want %s", d.Mode(), mode)
			}
			if err := d.Attach(); err != nil {
				t.Fatal(err)
			}
			if _, err := d.Drops(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestBadOptions(t *testing.T) {
	testutil.NeedBPF(t)
	if _, err := Load(LoadOptions{RingBufferSize: 12345}); !errors.Is(err, ErrBadOption) {
		t.Errorf("odd ring size: err = %v, want ErrBadOption", err)
	}
	if _, err := Load(LoadOptions{Object: []byte("not an ELF")}); err == nil {
		t.Error("garbage object loaded")
	}
	// An installed object file loads like the embedded one.
	path := t.TempDir() + "/saker.o"
	if err := os.WriteFile(path, _SakerBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Load(LoadOptions{ObjectPath: path, RingBufferSize: 1 << 20})
	if err != nil {
		t.Fatalf("object from %s: %v", path, err)
	}
	d.Close()
	if _, err := Load(LoadOptions{ObjectPath: path + ".missing"}); err == nil || !strings.Contains(err.Error(), "read eBPF object") {
		t.Errorf("missing object file: %v", err)
	}
}

func TestParseRelease(t *testing.T) {
	for in, want := range map[string][2]int{"6.18.44-fc-v769": {6, 18}, "5.4.0-42-generic": {5, 4}, "5.11rc1": {5, 11}} {
		ma, mi, ok := parseRelease(in)
		if !ok || ma != want[0] || mi != want[1] {
			t.Errorf("parseRelease(%q) = %d.%d %v", in, ma, mi, ok)
		}
	}
}

// The C enum in bpf/types.h must list sensor/event's types in order.
func TestTypesHeaderMatchesEventTypes(t *testing.T) {
	b, err := os.ReadFile("bpf/types.h")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	inEnum := false
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "enum saker_type"):
			inEnum = true
		case inEnum && strings.HasPrefix(line, "}"):
			inEnum = false
		case inEnum && strings.HasPrefix(line, "T_"):
			name := strings.TrimSuffix(strings.Fields(line)[0], ",")
			names = append(names, strings.ToLower(strings.TrimPrefix(name, "T_")))
		}
	}
	if len(names) != int(event.NumTypes)+1 { // + T_MAX
		t.Fatalf("types.h has %d entries, sensor/event has %d types", len(names)-1, event.NumTypes)
	}
	for i := event.Type(1); i < event.NumTypes; i++ {
		if names[i] != i.String() && !(i == event.TypeProcExit && names[i] == "procexit") {
			t.Errorf("types.h entry %d is %s, sensor/event says %s", i, names[i], i)
		}
	}
}

// A full ring buffer loses records, and the loss is counted.
func TestDropsCounted(t *testing.T) {
	testutil.NeedBPF(t)
	d, err := Load(LoadOptions{RingBufferSize: os.Getpagesize(), IgnorePID: -1, Types: []event.Type{event.TypeOpenat}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Attach(); err != nil {
		t.Fatal(err)
	}
	// Nobody reads: a page holds a few dozen openat records at most.
	for i := 0; i < 500; i++ {
		if f, err := os.Open("/dev/null"); err == nil {
			f.Close()
		}
	}
	d.Detach()
	drops, err := d.Drops()
	if err != nil {
		t.Fatal(err)
	}
	if drops < 400 {
		t.Errorf("drops = %d after 500 unread openat records on a one-page ring", drops)
	}
}
