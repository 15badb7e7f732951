package oaischema

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		name, schema, doc, wantErr string
	}{
		{"valid error", "ErrorResponse", `{"error":{"message":"m","type":"t","param":null,"code":null}}`, ""},
		{"missing code", "ErrorResponse", `{"error":{"message":"m","type":"t","param":null}}`, "code"},
		{"not json", "ErrorResponse", `{`, "not JSON"},
		{"unknown schema", "NoSuchSchemaAnywhere", `{}`, "NoSuchSchemaAnywhere"},
		{"chat", "CreateChatCompletionResponse", `{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"stop","logprobs":null,"message":{"role":"assistant","content":"hi","refusal":null}}]}`, ""},
		{"response", "Response", `{"id":"resp_1","object":"response","created_at":1,"status":"completed","error":null,"incomplete_details":null,"instructions":null,"model":"m","output":[{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"hi","annotations":[],"logprobs":[]}]}],"parallel_tool_calls":false,"metadata":{},"tool_choice":"auto","tools":[],"temperature":1,"top_p":1}`, ""},
		{"response missing tools", "Response", `{"id":"resp_1","object":"response","created_at":1,"error":null,"incomplete_details":null,"instructions":null,"model":"m","output":[],"parallel_tool_calls":false,"metadata":{},"tool_choice":"auto","temperature":1,"top_p":1}`, "tools"},
		{"chat bad finish", "CreateChatCompletionResponse", `{"choices":[{"index":0,"finish_reason":"weird","logprobs":null,"message":{"role":"assistant","content":"hi","refusal":null}}]}`, "finish_reason"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Check(c.schema, []byte(c.doc))
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want mention of %q", err, c.wantErr)
			}
		})
	}
}
