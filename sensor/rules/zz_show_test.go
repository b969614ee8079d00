package rules
import "testing"
func TestXShow(t *testing.T) {
	for _, c := range []string{"proc.name = cat and fd.nme = x", "proc.name = cat and", "proc.pid = abc", "evt.type = open and evt.type = close"} {
		f, err := CompileFilter(FilterOptions{Condition: c})
		t.Log(err)
		if f != nil { t.Log(f.Warnings) }
	}
}
