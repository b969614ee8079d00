package alert

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestJSONShape(t *testing.T) {
	a := Alert{
		Time:     time.Date(2026, 11, 23, 10, 0, 0, 123, time.FixedZone("x", 3600)),
		Rule:     "Read sensitive file untrusted",
		Priority: PriorityWarning,
		Source:   "syscall",
		Tags:     []string{"T1555", "filesystem"},
		Hostname: "node-1",
		Output:   "Sensitive file opened (file=/etc/shadow)",
		OutputFields: []Field{
			{Name: "fd.name", Value: "/etc/shadow"},
			{Name: "proc.pid", Value: int64(42)},
			{Name: "container.name", Value: nil},
		},
	}
	b, err := a.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"hostname":"node-1","output":"Sensitive file opened (file=/etc/shadow)","output_fields":{"fd.name":"/etc/shadow","proc.pid":42,"container.name":null},"priority":"Warning","rule":"Read sensitive file untrusted","source":"syscall","tags":["T1555","filesystem"],"time":"2026-11-23T09:00:00.000000123Z"}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
}

func TestParsePriority(t *testing.T) {
	for in, want := range map[string]Priority{"WARNING": PriorityWarning, "warn": PriorityWarning, "Info": PriorityInformational, "informational": PriorityInformational, "emergency": PriorityEmergency, "DEBUG": PriorityDebug} {
		got, err := ParsePriority(in)
		if err != nil || got != want {
			t.Errorf("ParsePriority(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParsePriority("loud"); err == nil || !strings.Contains(err.Error(), "loud") {
		t.Errorf("bad priority error %v", err)
	}
}
