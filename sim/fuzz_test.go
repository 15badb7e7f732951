package sim

import (
	"os"
	"testing"

	"github.com/tidwall/gjson"
)

// FuzzChatRequest feeds arbitrary bodies to the parser and reply writer: nothing may panic, and
// whatever is accepted must produce a JSON reply.
func FuzzChatRequest(f *testing.F) {
	for _, file := range requestFiles(f) {
		body, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	f.Add([]byte(`{"messages":[{"role":"user","content":"[sim:tokens=3][sim:tool=x][sim:delay=1ms]"}],"tools":[{"type":"function","function":{"name":"x","parameters":{"$ref":"#"}}}]}`))
	f.Add([]byte(`{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"schema":{"type":"array","minItems":9999,"items":{"$ref":"#"}}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var rb replyBuf
		if err := parseChat(&rb.req, body, "sim-1"); err != nil {
			if err.status != 400 || !gjson.ValidBytes(err.appendJSON(nil)) {
				t.Fatalf("bad error %+v", err)
			}
			return
		}
		out, tokens := appendChat(nil, &rb, rb.req.model, 7, 0)
		if !gjson.ValidBytes(out) {
			t.Fatalf("reply is not JSON: %s", out)
		}
		if tokens < 0 || rb.req.maxTokens > 0 && tokens > rb.req.maxTokens*rb.req.n {
			t.Fatalf("%d completion tokens for max %d × n %d", tokens, rb.req.maxTokens, rb.req.n)
		}
	})
}
