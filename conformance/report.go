package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// maxDetail bounds the detail column of the table; --json carries the full text.
const maxDetail = 140

// WriteTable prints the verdicts grouped by the document's sections, then the summary line
// "N passed, N failed".
func (r *Report) WriteTable(w io.Writer) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	var sec Section
	for i, x := range r.Results {
		if i == 0 || x.Section != sec {
			sec = x.Section
			if i > 0 {
				fmt.Fprintln(tw)
			}
			fmt.Fprintf(tw, "== %s\n", sec)
			fmt.Fprintln(tw, "SURFACE\tROW\tEXPECTATION\tRESULT\tCASE\tDETAIL")
		}
		verdict := "PASS"
		if !x.Pass {
			verdict = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", x.Surface, oneLine(x.Row, 40), oneLine(x.Expect, 70), verdict, x.ID, oneLine(x.Detail, maxDetail))
	}
	if len(r.Results) > 0 {
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// tabwriter pads the cell before an empty detail; drop the trailing blanks.
	for line := range strings.Lines(buf.String()) {
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "%d passed, %d failed\n", r.Passed, r.Failed)
	return err
}

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// oneLine flattens s to one line of at most n runes (tabs would break the table).
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if rs := []rune(s); len(rs) > n {
		return string(rs[:n-1]) + "…"
	}
	return s
}
