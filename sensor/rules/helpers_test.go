package rules

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/fields"
)

// mapEvent is a test event: field values by reference text.
type mapEvent struct {
	typ  int
	vals map[string]fields.Value
}

func (e *mapEvent) EventType() int { return e.typ }

type mapFactory struct{}

func (mapFactory) NewExtractor(ref fields.Ref) (fields.Extractor, error) {
	key := ref.String()
	return fields.ExtractorFunc(func(evt fields.Event, v *fields.Value) bool {
		x, ok := evt.(*mapEvent).vals[key]
		if ok {
			*v = x
		}
		return ok
	}), nil
}

// The test sources are immutable, so tests (and fuzz iterations) share them.
var (
	testSyscall = fields.Syscall().WithExtractors(mapFactory{})
	testReg     = fields.NewRegistry(testSyscall, fields.K8sAudit().WithExtractors(mapFactory{}))
)

func testRegistry() *fields.Registry { return testReg }

// ev builds an event of a syscall type from key/value pairs; values are
// string, int64, uint64, bool, netip.Addr or []string.
func ev(t testing.TB, typ string, kv ...any) *mapEvent {
	t.Helper()
	e := &mapEvent{typ: -1, vals: map[string]fields.Value{}}
	if typ != "" {
		i, ok := testSyscall.EventTypeIndex(typ)
		if !ok {
			t.Fatalf("unknown event type %s", typ)
		}
		e.typ = i
		e.vals["evt.type"] = fields.Value{Str: typ}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		var v fields.Value
		switch x := kv[i+1].(type) {
		case string:
			v.Str = x
		case int:
			v.Int, v.Uint = int64(x), uint64(x)
		case int64:
			v.Int = x
		case uint64:
			v.Uint = x
		case bool:
			v.Bool = x
		case netip.Addr:
			v.Addr = x
		case []string:
			v.List = x
		case []byte:
			v.Bytes = x
		default:
			t.Fatalf("bad value %T", x)
		}
		e.vals[kv[i].(string)] = v
	}
	return e
}

func ruleYAML(name, cond string) string {
	return "- rule: " + name + "\n  desc: test\n  condition: " + quoteYAML(cond) + "\n  output: \"" + name + " %proc.name\"\n  priority: WARNING\n"
}

func quoteYAML(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func load(t testing.TB, files ...string) (*Ruleset, *Result, error) {
	t.Helper()
	var cs []Content
	for i, f := range files {
		cs = append(cs, Content{Name: "f" + string(rune('0'+i)) + ".yaml", Data: []byte(f)})
	}
	return Load(LoadOptions{Contents: cs, Sources: testRegistry()})
}

func mustLoad(t testing.TB, files ...string) *Ruleset {
	t.Helper()
	rs, _, err := load(t, files...)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// fire returns the rules that match e, all of them.
func fire(t testing.TB, rs *Ruleset, e fields.Event) []*alert.Alert {
	t.Helper()
	var out []*alert.Alert
	eng, err := rs.NewEngine(EngineOptions{RuleMatching: MatchAll, OnAlert: func(a *alert.Alert) { out = append(out, a) }})
	if err != nil {
		t.Fatal(err)
	}
	eng.Process(e, time.Unix(0, 0))
	return out
}

func names(as []*alert.Alert) string {
	var s []string
	for _, a := range as {
		s = append(s, a.Rule)
	}
	return strings.Join(s, ",")
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

type alertT = alert.Alert

func now() time.Time { return time.Unix(1, 0) }
