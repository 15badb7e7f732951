package translate

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// updateGolden rewrites golden files: go test ./translate -update
var updateGolden = flag.Bool("update", false, "rewrite the translate golden files under testdata/")

// Metas the golden files were written with.
var (
	chatMeta = Meta{ID: "chatcmpl-7Hq2xLm9", CreatedAt: 1750000000, Model: "llama-3.1-8b"}
	respMeta = Meta{ID: "resp_7Hq2xLm9", CreatedAt: 1750000000, Model: "llama-3.1-8b"}
)

// goldenCase is one file set: testdata/<dir>/<dialect>.<name>.<kind>.json.
type goldenCase struct {
	Name    string  // file stem without the kind: "vllm.custom_tools"
	Dialect Dialect // the stem's first segment
	Dir     string
}

func (g goldenCase) path(kind string) string {
	return filepath.Join("testdata", g.Dir, g.Name+"."+kind+".json")
}

func (g goldenCase) read(t testing.TB, kind string) []byte {
	t.Helper()
	b, err := os.ReadFile(g.path(kind))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goldenCases lists the cases in testdata/dir that have a file of the given kind.
func goldenCases(t testing.TB, dir, kind string) []goldenCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*."+kind+".json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs in testdata/%s (%v)", dir, err)
	}
	sort.Strings(files)
	out := make([]goldenCase, 0, len(files))
	for _, f := range files {
		stem := strings.TrimSuffix(filepath.Base(f), "."+kind+".json")
		d, _, _ := strings.Cut(stem, ".")
		out = append(out, goldenCase{Name: stem, Dialect: Dialect(d), Dir: dir})
	}
	return out
}

// checkGolden compares got (compact JSON) with the indented golden file at path, or rewrites
// it under -update. Indenting also proves got is JSON.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, got)
	}
	pretty.WriteByte('\n')
	if *updateGolden {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./translate -update)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("%s differs from the output (run go test ./translate -update and review the diff)\ngot:\n%s", path, pretty.Bytes())
	}
}

// seedGolden adds every golden file of a kind as a fuzz seed.
func seedGolden(f *testing.F, dir, kind string, add func(g goldenCase, b []byte)) {
	for _, g := range goldenCases(f, dir, kind) {
		add(g, g.read(f, kind))
	}
}

// unchanged fails if translating modified an input slice.
func unchanged(t testing.TB, what string, before, after []byte) {
	t.Helper()
	if !bytes.Equal(before, after) {
		t.Fatalf("%s was modified", what)
	}
}
