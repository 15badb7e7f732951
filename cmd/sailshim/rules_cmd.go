package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"sailshim/rules"
)

// runRules prints the support matrix as this build implements it: with --markdown in the form
// committed as docs/SUPPORT.md, otherwise as plain text, one row per line.
func runRules(args []string) error {
	var markdown bool
	l := newLayeredFlags("rules")
	l.fs.BoolVar(&markdown, "markdown", false, "print Markdown (the content of docs/SUPPORT.md)")
	rest, err := l.parse(args, "SAILSHIM_RULES_", &struct{}{})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected arguments %q", rest)
	}
	return writeRules(os.Stdout, markdown)
}

// generatedNote heads the Markdown so nobody edits docs/SUPPORT.md by hand.
const generatedNote = "<!-- Generated from rules/ by `sailshim rules --markdown`; do not edit. " +
	"TestSupportDocIsCurrent fails when this file is stale. -->\n\n"

// writeRules writes the matrix of the default configuration (windows asap, 15m, 24h).
func writeRules(w io.Writer, markdown bool) error {
	v := rules.New(rules.Config{})
	if markdown {
		if _, err := io.WriteString(w, generatedNote); err != nil {
			return err
		}
		return v.Markdown(w)
	}
	b := bufio.NewWriter(w)
	for _, s := range []rules.Surface{rules.Responses, rules.Chat, rules.Messages} {
		for _, r := range v.Rows(s) {
			fmt.Fprintf(b, "%s\t%s\t%s\t%s\n", s, r.Field, r.Verdict, strings.ReplaceAll(r.Text, "\n", " "))
		}
	}
	return b.Flush()
}
