package proxy

import (
	"os"
	"testing"

	"sailshim/apierr"
	"sailshim/rules"
	"sailshim/translate"
)

// The request-side work sailshim adds to every call: validate against the matrix, then rewrite
// for the engine's dialect. Budget (issue 2): under 5 µs and 10 allocations for chat.
func benchmarkRequest(b *testing.B, file string, s rules.Surface, tr func(dst, body []byte, d translate.Dialect) ([]byte, error)) {
	body, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	v := rules.New(rules.Config{})
	var rq rules.Request
	dst := make([]byte, 0, 8<<10)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rq.Reset()
		if e := v.Validate(s, body, &rq); e != nil {
			b.Fatal(e)
		}
		if dst, err = tr(dst[:0], body, translate.VLLM); err != nil {
			b.Fatal(err)
		}
	}
}

func wrapErr(f func(dst, body []byte, d translate.Dialect) ([]byte, *apierr.Error)) func(dst, body []byte, d translate.Dialect) ([]byte, error) {
	return func(dst, body []byte, d translate.Dialect) ([]byte, error) {
		out, e := f(dst, body, d)
		if e != nil {
			return out, e
		}
		return out, nil
	}
}

func BenchmarkChatValidateTranslate(b *testing.B) {
	benchmarkRequest(b, "testdata/chat_2k.json", rules.Chat, wrapErr(translate.ChatRequest))
}

func BenchmarkResponsesValidateTranslate(b *testing.B) {
	benchmarkRequest(b, "testdata/responses_2k.json", rules.Responses, wrapErr(translate.ResponsesRequest))
}
