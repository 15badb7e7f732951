package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

func repeat(s string, n int) string { return strings.Repeat(s, n) }

// jsonField reads one top-level string field of a JSON object.
func jsonField(t testing.TB, b []byte, key string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	s, _ := m[key].(string)
	return s
}
