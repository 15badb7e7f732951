package rules

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// surfaceDirs maps each surface to its directory of request bodies under testdata/.
var surfaceDirs = []struct {
	s   Surface
	dir string
}{{Chat, "chat"}, {Responses, "responses"}, {Messages, "messages"}}

// bodies returns the request bodies of a surface, by file name. Files named valid_* must be
// accepted and invalid_* rejected.
func bodies(t testing.TB, dir string) (names []string, data map[string][]byte) {
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no bodies in testdata/%s: %v", dir, err)
	}
	sort.Strings(paths)
	data = map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		n := filepath.Base(p)
		names = append(names, n)
		data[n] = b
	}
	return names, data
}

// outcome renders what a client (and the next stage) sees for one body.
func outcome(v *Validator, s Surface, body []byte) string {
	var r Request
	if err := v.Validate(s, body, &r); err != nil {
		return fmt.Sprintf("%d %s", err.Status, err.AppendJSON(nil))
	}
	return fmt.Sprintf("ok model=%q window=%q webhook=%q token=%q background=%v max_tokens=%d",
		r.Model, r.Window, r.Webhook, r.WebhookToken, r.Background, r.MaxTokens)
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./rules -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update after checking the change):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestTestdataGolden(t *testing.T) {
	v := New(Config{})
	for _, sd := range surfaceDirs {
		t.Run(sd.dir, func(t *testing.T) {
			names, data := bodies(t, sd.dir)
			var out strings.Builder
			for _, n := range names {
				got := outcome(v, sd.s, data[n])
				accepted := strings.HasPrefix(got, "ok ")
				if strings.HasPrefix(n, "valid_") != accepted {
					t.Errorf("%s: %s", n, got)
				}
				fmt.Fprintf(&out, "%s\t%s\n", n, got)
			}
			golden(t, filepath.Join("testdata", sd.dir+".golden"), []byte(out.String()))
		})
	}
}

func TestMarkdownGolden(t *testing.T) {
	var b bytes.Buffer
	if err := New(Config{}).Markdown(&b); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"## Responses API", "## Chat Completions API", "## Anthropic Messages API",
		"| `stream` | rejected |", "| `tools[].type: \"web_search\"` | rejected |"} {
		if !strings.Contains(b.String(), h) {
			t.Errorf("Markdown lacks %q", h)
		}
	}
	golden(t, filepath.Join("testdata", "matrix.md"), b.Bytes())
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestMarkdownReportsWriteErrors(t *testing.T) {
	if err := New(Config{}).Markdown(failingWriter{}); err == nil {
		t.Fatal("Markdown to a failing writer returned nil")
	}
}
