package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateDocs = flag.Bool("update", false, "rewrite docs/SUPPORT.md from rules/")

// TestSupportDocIsCurrent fails when docs/SUPPORT.md no longer says what rules/ enforces.
func TestSupportDocIsCurrent(t *testing.T) {
	var got bytes.Buffer
	if err := writeRules(&got, true); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "SUPPORT.md")
	if *updateDocs {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatal("docs/SUPPORT.md is stale: regenerate it with `go run ./cmd/sailshim rules --markdown > docs/SUPPORT.md` " +
			"(or `go test ./cmd/sailshim -run SupportDoc -update`)")
	}
}

func TestRulesPlainText(t *testing.T) {
	var b bytes.Buffer
	if err := writeRules(&b, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"responses\tstream\trejected\t", "chat\tmessages\t", "messages\tmax_tokens\t"} {
		if !bytes.Contains(b.Bytes(), []byte(want)) {
			t.Errorf("plain output lacks %q", want)
		}
	}
}
