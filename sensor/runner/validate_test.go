package runner

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ValidateRules loads the rules as they would be with the replacements
// installed: in the directory's name order, next to the files already
// there, without writing anything.
func TestValidateRules(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a_base.yaml"), []byte("- macro: opened\n  condition: evt.type = openat\n- list: shells\n  items: [bash]\n"), 0o644)
	cfg := loadCfg(t, "rules_files=["+dir+"]")
	newFile := filepath.Join(dir, "b_followed.yaml")
	// Uses the macro of the file loaded before it.
	if err := ValidateRules(cfg, map[string][]byte{newFile: []byte(markerRule("Uses macro", "/x"))}); err != nil {
		t.Fatalf("valid replacement: %v", err)
	}
	err := ValidateRules(cfg, map[string][]byte{newFile: []byte("- rule: R\n  desc: d\n  condition: opened and (\n  output: o\n  priority: INFO\n")})
	if !errors.Is(err, ErrRules) || !strings.Contains(err.Error(), "b_followed.yaml:") {
		t.Fatalf("broken replacement: %v", err)
	}
	// Files load in name order: an append named before the list's file
	// has nothing to append to.
	appendTo := []byte("- list: shells\n  items: [zsh]\n  override:\n    items: append\n")
	if err := ValidateRules(cfg, map[string][]byte{filepath.Join(dir, "0_early.yaml"): appendTo}); err == nil {
		t.Fatal("an append before its list validated")
	}
	if err := ValidateRules(cfg, map[string][]byte{filepath.Join(dir, "z_late.yaml"): appendTo}); err != nil {
		t.Fatalf("an append after its list: %v", err)
	}
	if _, err := os.Stat(newFile); !errors.Is(err, os.ErrNotExist) {
		t.Error("validation wrote to the rules directory")
	}
}
