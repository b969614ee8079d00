#!/usr/bin/env bash
# Runs every go fuzz target in the module for a short budget each.
# FUZZTIME (default 5s) sets the budget per target.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${FUZZTIME:-5s}
found=0
while IFS= read -r file; do
  pkg=./$(dirname "$file")
  for fn in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$file" | awk '{print $2}'); do
    found=$((found+1))
    echo "fuzz: $pkg $fn ($budget)"
    go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$budget" "$pkg"
  done
done < <(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' || true)
echo "fuzz: $found targets run"
