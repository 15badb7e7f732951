package proxy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"sailshim/apierr"
	"sailshim/rules"
	"sailshim/translate"
)

// The request pipeline as the edge runs it: whatever rules accepts, translate must turn into a
// valid engine body for every dialect; whatever rules refuses is a 4xx envelope. Neither may panic.
func fuzzPipeline(f *testing.F, s rules.Surface, seeds []string, tr func(dst, body []byte, d translate.Dialect) ([]byte, *apierr.Error)) {
	for _, pattern := range seeds {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	v := rules.New(rules.Config{})
	f.Fuzz(func(t *testing.T, body []byte) {
		var rq rules.Request
		if e := v.Validate(s, body, &rq); e != nil {
			if e.Status < 400 || e.Status >= 500 || !json.Valid(e.AppendJSON(nil)) {
				t.Fatalf("validation error is not a 4xx envelope: %v", e)
			}
			return
		}
		for _, d := range translate.Dialects {
			out, e := tr(nil, body, d)
			if e != nil {
				t.Fatalf("%s: rules accepted a body translate refuses (%v):\n%s", d, e, body)
			}
			if !json.Valid(out) {
				t.Fatalf("%s: invalid engine body:\n%s", d, out)
			}
		}
	})
}

func FuzzChatPipeline(f *testing.F) {
	fuzzPipeline(f, rules.Chat, []string{"testdata/chat_2k.json", "../rules/testdata/chat/*.json", "../translate/testdata/chat/request/*.in.json"}, translate.ChatRequest)
}

func FuzzResponsesPipeline(f *testing.F) {
	fuzzPipeline(f, rules.Responses, []string{"testdata/responses_2k.json", "../rules/testdata/responses/*.json", "../translate/testdata/responses/request/*.in.json"}, translate.ResponsesRequest)
}

func FuzzMessagesPipeline(f *testing.F) {
	fuzzPipeline(f, rules.Messages, []string{"../rules/testdata/messages/*.json", "../translate/testdata/messages/requests/*.json"}, translate.MessagesRequest)
}
