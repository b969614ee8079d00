package rules

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInvalid is wrapped by the error [Load] returns when a rules file has
// errors; the [Result] lists them.
var ErrInvalid = errors.New("invalid rules")

// Diagnostic is an error or warning about a rules file.
type Diagnostic struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
	// Kind is the item kind ("rule", "macro", "list", ...) and Item its name,
	// when the diagnostic is about one item.
	Kind    string `json:"kind,omitempty"`
	Item    string `json:"item,omitempty"`
	Message string `json:"message"`
}

// String formats the diagnostic as file:line:col: kind 'item': message.
func (d Diagnostic) String() string {
	var b strings.Builder
	if d.File != "" {
		b.WriteString(d.File)
		if d.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", d.Line, d.Col)
		}
		b.WriteString(": ")
	}
	if d.Kind != "" {
		b.WriteString(d.Kind)
		if d.Item != "" {
			fmt.Fprintf(&b, " '%s'", d.Item)
		}
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// FileResult is what loading one file produced.
type FileResult struct {
	Name string `json:"name"`
	// Rules, Macros and Lists count the items of each kind in the file,
	// including redefinitions and appends.
	Rules    int          `json:"rules"`
	Macros   int          `json:"macros"`
	Lists    int          `json:"lists"`
	Errors   []Diagnostic `json:"errors"`
	Warnings []Diagnostic `json:"warnings"`
}

// OK reports whether the file has no errors.
func (f *FileResult) OK() bool { return len(f.Errors) == 0 }

// Result summarises a load: per-file diagnostics and item counts.
type Result struct {
	Files []*FileResult `json:"files"`
	// Rules, Macros and Lists count the distinct items defined (after
	// merging redefinitions); EnabledRules those enabled and compiled.
	Rules        int `json:"rules"`
	EnabledRules int `json:"enabled_rules"`
	Macros       int `json:"macros"`
	Lists        int `json:"lists"`
	// Skipped counts rules skipped for an unknown source or an unknown
	// field with skip-if-unknown-filter.
	Skipped int `json:"skipped"`
}

// Errors returns every error, in file order.
func (r *Result) Errors() []Diagnostic {
	var out []Diagnostic
	for _, f := range r.Files {
		out = append(out, f.Errors...)
	}
	return out
}

// Warnings returns every warning, in file order.
func (r *Result) Warnings() []Diagnostic {
	var out []Diagnostic
	for _, f := range r.Files {
		out = append(out, f.Warnings...)
	}
	return out
}

// Err returns nil when no file has errors, otherwise an error wrapping
// [ErrInvalid] that lists them.
func (r *Result) Err() error {
	errs := r.Errors()
	if len(errs) == 0 {
		return nil
	}
	lines := make([]string, len(errs))
	for i, d := range errs {
		lines[i] = d.String()
	}
	return fmt.Errorf("%w: %d error(s):\n%s", ErrInvalid, len(errs), strings.Join(lines, "\n"))
}

func (r *Result) file(name string) *FileResult {
	for _, f := range r.Files {
		if f.Name == name {
			return f
		}
	}
	f := &FileResult{Name: name}
	r.Files = append(r.Files, f)
	return f
}

func (r *Result) add(d Diagnostic, warning bool) {
	f := r.file(d.File)
	if warning {
		f.Warnings = append(f.Warnings, d)
	} else {
		f.Errors = append(f.Errors, d)
	}
}

func (r *Result) sortDiagnostics() {
	for _, f := range r.Files {
		for _, ds := range [][]Diagnostic{f.Errors, f.Warnings} {
			sort.SliceStable(ds, func(i, j int) bool {
				if ds[i].Line != ds[j].Line {
					return ds[i].Line < ds[j].Line
				}
				return ds[i].Col < ds[j].Col
			})
		}
	}
}
