package fields

import (
	"errors"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	s := Syscall()
	for _, tc := range []struct {
		in      string
		field   string
		arg     string
		index   int
		multi   Multi
		wantErr error
	}{
		{in: "proc.name", field: "proc.name"},
		{in: "proc.aname", field: "proc.aname", multi: AnyOf},
		{in: "proc.aname[2]", field: "proc.aname", arg: "2", index: 2},
		{in: "evt.arg.flags", field: "evt.arg", arg: "flags"},
		{in: "evt.arg[0]", field: "evt.arg", arg: "0"},
		{in: "fd.types", field: "fd.types", multi: List},
		{in: "proc.aname[x]", wantErr: ErrBadArg},
		{in: "proc.name[1]", wantErr: ErrBadArg},
		{in: "evt.arg", wantErr: ErrBadArg},
		{in: "proc.nosuch", wantErr: ErrUnknownField},
		{in: "nosuch", wantErr: ErrUnknownField},
	} {
		r, err := s.Resolve(tc.in)
		if tc.wantErr != nil {
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("Resolve(%q) error = %v, want %v", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Resolve(%q): %v", tc.in, err)
			continue
		}
		if r.Field.Name != tc.field || r.Arg != tc.arg || r.Index != tc.index || r.Multi() != tc.multi {
			t.Errorf("Resolve(%q) = %s arg %q index %d multi %d", tc.in, r.Field.Name, r.Arg, r.Index, r.Multi())
		}
	}
	k := K8sAudit()
	r, err := k.Resolve("jevt.value[/requestObject/spec/volumes]")
	if err != nil || r.Arg != "/requestObject/spec/volumes" {
		t.Errorf("jevt.value: %v %+v", err, r)
	}
	if _, ok := k.EventTypeIndex("open"); ok {
		t.Error("k8s_audit has no event types")
	}
	if i, ok := s.EventTypeIndex("execve"); !ok || s.EventTypes()[i] != "execve" {
		t.Error("syscall event type execve missing")
	}
}

func TestTablesUnique(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fields []Field
	}{{"syscall", SyscallFields}, {"k8s_audit", K8sAuditFields}} {
		if _, err := NewSource(SourceOptions{Name: tc.name, Fields: tc.fields}); err != nil {
			t.Error(err)
		}
		for _, f := range tc.fields {
			if f.Desc == "" {
				t.Errorf("%s: field %s has no description", tc.name, f.Name)
			}
		}
	}
}

func TestUnknownFieldSuggestion(t *testing.T) {
	_, err := Syscall().Resolve("proc.nmae")
	if err == nil || !strings.Contains(err.Error(), "did you mean proc.name?") {
		t.Errorf("err %v", err)
	}
	_, err = Syscall().Resolve("zzz.qqq")
	if err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("err %v", err)
	}
}
