package jsontree

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// toAny converts a Value to what encoding/json (with UseNumber) produces.
func toAny(v Value) any {
	switch v.Kind() {
	case Null:
		return nil
	case Bool:
		return v.Bool()
	case Number:
		return json.Number(v.Text())
	case String:
		return v.Str()
	case Array:
		out := []any{}
		for c := v.First(); c.Exists(); c = c.Next() {
			out = append(out, toAny(c))
		}
		return out
	case Object:
		out := map[string]any{}
		for c := v.First(); c.Exists(); c = c.Next() {
			out[c.Key()] = toAny(c)
		}
		return out
	}
	return "<invalid>"
}

func stdDecode(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// checkAgainstStd asserts that Parse accepts exactly what encoding/json
// accepts and yields the same values.
func checkAgainstStd(t *testing.T, s string) {
	t.Helper()
	doc, err := Parse(s)
	valid := json.Valid([]byte(s))
	if (err == nil) != valid {
		t.Fatalf("Parse(%q) err=%v, json.Valid=%v", s, err, valid)
	}
	if err != nil {
		if !errors.Is(err, ErrSyntax) {
			t.Fatalf("Parse(%q) error %v does not wrap ErrSyntax", s, err)
		}
		return
	}
	if !utf8.ValidString(s) {
		return // encoding/json rewrites invalid UTF-8; we keep the bytes.
	}
	want, err := stdDecode(s)
	if err != nil {
		t.Fatalf("encoding/json rejects %q that json.Valid accepted: %v", s, err)
	}
	if got := toAny(doc.Root()); !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse(%q) = %#v, encoding/json = %#v", s, got, want)
	}
	// Text of the root is compact JSON equal to json.Compact's.
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		t.Fatal(err)
	}
	if k := doc.Root().Kind(); k == Object || k == Array {
		if got := doc.Root().Text(); got != buf.String() {
			t.Fatalf("Text(%q) = %q, want %q", s, got, buf.String())
		}
	}
}

var corpus = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5e-3`, `-12E+2`, `"x"`,
	` {"a" : [1, 2, {"b": null}], "c":"d\n\u00e9\ud83d\ude00"} `,
	`{"a":1,"a":2}`, `"\ud800"`, `"\ud800\u0041"`, `"\/\\\"\b\f\r\t"`,
	`{"a":`, `[1,]`, `{"a":1,}`, `01`, `1.`, `.5`, `-`, `1e`, `tru`, `nul`, `"abc`, `"a` + "\x01" + `"`,
	`{"a" 1}`, `{1:2}`, `[1 2]`, `"\x"`, `"\u12"`, `{} {}`, ``, `   `, `[` + strings.Repeat(`[`, 10) + `]`,
}

func TestParseMatchesEncodingJSON(t *testing.T) {
	for _, s := range corpus {
		checkAgainstStd(t, s)
	}
}

func TestSyntaxErrorPosition(t *testing.T) {
	_, err := Parse("{\n  \"a\": tru\n}")
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want *SyntaxError", err)
	}
	if se.Line != 2 || se.Column != 8 {
		t.Errorf("position = line %d col %d, want line 2 col 8 (%v)", se.Line, se.Column, err)
	}
	if !strings.Contains(err.Error(), "want true") {
		t.Errorf("message %q does not say what was expected", err)
	}
}

func TestDepthLimit(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+5) + strings.Repeat("]", MaxDepth+5)
	if _, err := Parse(deep); err == nil || !strings.Contains(err.Error(), "nesting") {
		t.Fatalf("Parse(deep) err = %v, want a nesting error", err)
	}
}

func TestLookupsAndPointer(t *testing.T) {
	doc, err := Parse(`{"a":{"b":[10,{"c~d/e":"x"}]},"s":"v","n":201, "o": {"k" : [1, 2]}}`)
	if err != nil {
		t.Fatal(err)
	}
	r := doc.Root()
	if got := r.Path("a", "b").Index(0).Text(); got != "10" {
		t.Errorf("a.b[0] = %q", got)
	}
	if got := r.Get("n").Text(); got != "201" {
		t.Errorf("n = %q", got)
	}
	if got := r.Get("o").Text(); got != `{"k":[1,2]}` {
		t.Errorf("o text = %q, want compact", got)
	}
	if r.Get("missing").Get("x").Index(3).Exists() {
		t.Error("lookup below a missing value exists")
	}
	for ptr, want := range map[string]string{
		"/a/b/1/c~0d~1e": "x",
		"/s":             "v",
		"":               doc.Root().Text(),
		"/a/b/0":         "10",
	} {
		p, err := ParsePointer(ptr)
		if err != nil {
			t.Fatalf("ParsePointer(%q): %v", ptr, err)
		}
		if got := p.Resolve(r); !got.Exists() || got.Text() != want {
			t.Errorf("Resolve(%q) = %q, want %q", ptr, got.Text(), want)
		}
	}
	for _, ptr := range []string{"/a/b/01", "/a/b/2", "/s/x", "/zz"} {
		p, _ := ParsePointer(ptr)
		if p.Resolve(r).Exists() {
			t.Errorf("Resolve(%q) exists, want missing", ptr)
		}
	}
	if _, err := ParsePointer("a/b"); !errors.Is(err, ErrPointer) {
		t.Errorf("ParsePointer without leading / err = %v", err)
	}
	if _, err := ParsePointer("/a~2"); !errors.Is(err, ErrPointer) {
		t.Errorf("ParsePointer with bad ~ err = %v", err)
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	doc, _ := Parse(`{"requestObject":{"spec":{"containers":[{"image":"nginx"},{"image":"mysql"}]}}}`)
	p, _ := ParsePointer("/requestObject/spec/containers/1/image")
	r := doc.Root()
	n := testing.AllocsPerRun(100, func() {
		if p.Resolve(r).Text() != "mysql" {
			t.Fatal("wrong value")
		}
		_ = r.Path("requestObject", "spec", "containers").Index(0).Get("image").Str()
	})
	if n != 0 {
		t.Errorf("lookups allocate %v times per run, want 0", n)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range corpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkAgainstStd(t, s)
	})
}
