package rules

import (
	"bufio"
	"io"
	"strings"
)

// Markdown writes the whole matrix as sailshim implements it (a section per surface), for
// `sailshim rules --markdown`.
func (v *Validator) Markdown(w io.Writer) error {
	b := bufio.NewWriter(w)
	b.WriteString("# Support matrix\n\n")
	b.WriteString("What sailshim accepts on each surface. **supported**: accepted as the upstream API defines it. " +
		"**constrained**: accepted with fewer values or shapes. **rejected**: not supported; the field is accepted " +
		"only with a value that asks for nothing (null, false, an empty list…), and otherwise answered with a 400 " +
		"whose message is the text below. Fields no API defines are rejected as unknown.\n")
	for _, t := range []*table{&v.responses, &v.chat, &v.messages} {
		b.WriteString("\n## " + t.title + "\n\n")
		b.WriteString("| Field | Verdict | Details |\n|---|---|---|\n")
		for _, r := range t.rows() {
			b.WriteString("| `" + r.Field + "` | " + r.Verdict.String() + " | " + cell(r.Text) + " |\n")
		}
	}
	return b.Flush()
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
