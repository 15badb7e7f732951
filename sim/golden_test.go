package sim

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// requestFiles are the golden inputs, also the fuzz seeds.
func requestFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/requests/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no request files: %v", err)
	}
	return files
}

// TestGolden pins the exact wire form of replies: a fresh server with a fixed seed and clock
// answers each request in testdata/requests.
func TestGolden(t *testing.T) {
	for _, file := range requestFiles(t) {
		name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			s := New(Config{Seed: 1})
			s.now = func() time.Time { return time.Unix(1767225600, 0) }
			status, _, raw := call(t, s, "POST", "/v1/chat/completions", string(body))
			got := gjson.Get(`{"status":`+strconv.Itoa(status)+`,"body":`+raw+`}`, "@pretty").Raw
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("reply differs from %s (run go test -update to accept):\n%s", path, got)
			}
		})
	}
}
