package translate

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/tidwall/gjson"
)

// msgUpdateFlag rewrites this file's golden files. A package-wide -update flag, if another test
// file defines one, rewrites them too.
var msgUpdateFlag = flag.Bool("update-messages", false, "rewrite testdata/messages golden files")

func msgUpdating() bool {
	if *msgUpdateFlag {
		return true
	}
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

const msgTestdata = "testdata/messages"

func msgRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(msgTestdata, path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// msgGolden compares got (compact JSON) with the indented golden file, or rewrites it.
func msgGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, got)
	}
	pretty.WriteByte('\n')
	full := filepath.Join(msgTestdata, "golden", path)
	if msgUpdating() {
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(full)
	if err != nil {
		t.Fatalf("%v (run go test -update-messages)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("%s differs from golden:\ngot:\n%s\nwant:\n%s", path, pretty.Bytes(), want)
	}
}

func TestMessagesRequest(t *testing.T) {
	cases := []struct {
		name    string
		input   string
		dialect Dialect
		check   func(t *testing.T, out gjson.Result)
	}{
		{"plain_text_vllm", "plain_text", VLLM, func(t *testing.T, out gjson.Result) {
			msgExpect(t, out, "max_tokens", "256")
			msgExpect(t, out, "messages.0.content", "Hello, world")
			msgAbsent(t, out, "max_completion_tokens", "continue_final_message")
		}},
		{"plain_text_openai", "plain_text", OpenAI, func(t *testing.T, out gjson.Result) {
			msgExpect(t, out, "max_completion_tokens", "256")
			msgAbsent(t, out, "max_tokens")
		}},
		{"plain_text_tgi", "plain_text", TGI, func(t *testing.T, out gjson.Result) {
			msgExpect(t, out, "max_tokens", "256")
		}},
		{"plain_text_llamacpp", "plain_text", LlamaCpp, func(t *testing.T, out gjson.Result) {
			msgExpect(t, out, "max_tokens", "256")
		}},
		{"plain_text_sglang", "plain_text", SGLang, func(t *testing.T, out gjson.Result) {
			msgExpect(t, out, "max_tokens", "256")
		}},
		{"multi_turn", "multi_turn", VLLM, func(t *testing.T, out gjson.Result) {
			msgExpect(t, out, "messages.#", "3")
			msgExpect(t, out, "messages.1.role", "assistant")
			msgExpect(t, out, "messages.2.content", "And its population, roughly?\nAnswer in one line, please — \"short\" is fine. ✓")
			msgExpect(t, out, "temperature", "0.7")
			msgExpect(t, out, "top_p", "0.95")
			msgAbsent(t, out, "metadata", "stream", "continue_final_message")
		}},
		{"text_blocks", "text_blocks", TGI, func(t *testing.T, out gjson.Result) {
			msgExpect(t, out, "messages.0.content", "First block.\nSecond \"quoted\" block\twith tab.")
			msgExpect(t, out, "messages.1.content", "Ack.")
			msgExpect(t, out, "messages.2.content", "")
		}},
		{"json_schema", "json_schema", SGLang, func(t *testing.T, out gjson.Result) {
			msgExpect(t, out, "response_format.type", "json_schema")
			msgExpect(t, out, "response_format.json_schema.name", "output")
			msgExpect(t, out, "response_format.json_schema.strict", "true")
			msgExpect(t, out, "response_format.json_schema.schema.required.1", "age")
			msgExpect(t, out, "temperature", "0")
		}},
		{"json_schema_openai", "json_schema", OpenAI, func(t *testing.T, out gjson.Result) {
			msgExpect(t, out, "response_format.json_schema.strict", "true")
			msgExpect(t, out, "max_completion_tokens", "200")
		}},
		{"json_schema_tgi", "json_schema", TGI, func(t *testing.T, out gjson.Result) {
			msgExpect(t, out, "response_format.type", "json")
			msgExpect(t, out, "response_format.value.required.0", "name")
			msgAbsent(t, out, "response_format.json_schema")
		}},
		{"prefill_vllm", "prefill", VLLM, func(t *testing.T, out gjson.Result) {
			msgExpect(t, out, "continue_final_message", "true")
			msgExpect(t, out, "add_generation_prompt", "false")
		}},
		{"prefill_llamacpp", "prefill", LlamaCpp, func(t *testing.T, out gjson.Result) {
			msgAbsent(t, out, "continue_final_message", "add_generation_prompt")
		}},
		{"nulls", "nulls", VLLM, func(t *testing.T, out gjson.Result) {
			msgAbsent(t, out, "temperature", "top_p", "response_format", "metadata", "stop")
		}},
		{"escapes", "escapes", VLLM, func(t *testing.T, out gjson.Result) {
			msgExpect(t, out, "model", "mé")
			msgExpect(t, out, "max_tokens", "100")
			msgExpect(t, out, "messages.0.content", "line\u2028sep 😀 \x00 / end")
			msgExpect(t, out, "messages.1.content", "a\\b\né")
		}},
		{"typical_2k", "typical_2k", VLLM, func(t *testing.T, out gjson.Result) {
			msgExpect(t, out, "messages.#", "3")
			msgExpect(t, out, "response_format.json_schema.schema.properties.word_count.maximum", "80")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := msgRead(t, filepath.Join("requests", tc.input+".json"))
			orig := slices.Clone(in)
			prefix := []byte("prefix:")
			out, err := MessagesRequest(slices.Clone(prefix), in, tc.dialect)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !bytes.Equal(in, orig) {
				t.Fatal("input body was modified")
			}
			if !bytes.HasPrefix(out, prefix) {
				t.Fatalf("dst prefix lost: %q", out)
			}
			body := out[len(prefix):]
			if !json.Valid(body) {
				t.Fatalf("output is not valid JSON: %s", body)
			}
			tc.check(t, gjson.ParseBytes(body))
			msgGolden(t, filepath.Join("requests", tc.name+".json"), body)
		})
	}
}

func msgExpect(t *testing.T, out gjson.Result, path, want string) {
	t.Helper()
	got := out.Get(path)
	if !got.Exists() {
		t.Errorf("%s: missing, want %q", path, want)
	} else if got.String() != want {
		t.Errorf("%s = %q, want %q", path, got.String(), want)
	}
}

func msgAbsent(t *testing.T, out gjson.Result, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if r := out.Get(p); r.Exists() {
			t.Errorf("%s present (%s), want absent", p, r.Raw)
		}
	}
}

func TestMessagesRequestErrors(t *testing.T) {
	cases := []struct {
		name, body, param, code string
	}{
		{"not json", `{"model":`, "", "invalid_json"},
		{"not an object", `["model"]`, "", "invalid_json"},
		{"missing model", `{"max_tokens":1,"messages":[{"role":"user","content":"x"}]}`, "model", "missing_required_parameter"},
		{"model number", `{"model":7,"max_tokens":1,"messages":[{"role":"user","content":"x"}]}`, "model", "invalid_type"},
		{"missing max_tokens", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, "max_tokens", "missing_required_parameter"},
		{"max_tokens fraction", `{"model":"m","max_tokens":1.5,"messages":[{"role":"user","content":"x"}]}`, "max_tokens", "invalid_value"},
		{"max_tokens zero", `{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]}`, "max_tokens", "invalid_value"},
		{"max_tokens string", `{"model":"m","max_tokens":"5","messages":[{"role":"user","content":"x"}]}`, "max_tokens", "invalid_type"},
		{"missing messages", `{"model":"m","max_tokens":1}`, "messages", "missing_required_parameter"},
		{"messages object", `{"model":"m","max_tokens":1,"messages":{}}`, "messages", "invalid_type"},
		{"empty messages", `{"model":"m","max_tokens":1,"messages":[]}`, "messages", "invalid_value"},
		{"message not object", `{"model":"m","max_tokens":1,"messages":["hi"]}`, "messages[0]", "invalid_type"},
		{"system role", `{"model":"m","max_tokens":1,"messages":[{"role":"system","content":"x"}]}`, "messages[0].role", "invalid_value"},
		{"missing role", `{"model":"m","max_tokens":1,"messages":[{"content":"x"}]}`, "messages[0].role", "missing_required_parameter"},
		{"missing content", `{"model":"m","max_tokens":1,"messages":[{"role":"user"}]}`, "messages[0].content", "missing_required_parameter"},
		{"content number", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":3}]}`, "messages[0].content", "invalid_type"},
		{"image block", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"image","source":{}}]}]}`, "messages[1].content[1].type", "unsupported_parameter"},
		{"thinking block", `{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"t"}]}]}`, "messages[0].content[0].type", "unsupported_parameter"},
		{"block not object", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":["a"]}]}`, "messages[0].content[0]", "invalid_type"},
		{"text not string", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":1}]}]}`, "messages[0].content[0].text", "invalid_type"},
		{"temperature string", `{"model":"m","max_tokens":1,"temperature":"hot","messages":[{"role":"user","content":"x"}]}`, "temperature", "invalid_type"},
		{"top_p bool", `{"model":"m","max_tokens":1,"top_p":true,"messages":[{"role":"user","content":"x"}]}`, "top_p", "invalid_type"},
		{"output_config array", `{"model":"m","max_tokens":1,"output_config":[],"messages":[{"role":"user","content":"x"}]}`, "output_config", "invalid_type"},
		{"effort", `{"model":"m","max_tokens":1,"output_config":{"effort":"high"},"messages":[{"role":"user","content":"x"}]}`, "output_config.effort", "unsupported_parameter"},
		{"format json_object", `{"model":"m","max_tokens":1,"output_config":{"format":{"type":"json_object"}},"messages":[{"role":"user","content":"x"}]}`, "output_config.format.type", "unsupported_parameter"},
		{"format no schema", `{"model":"m","max_tokens":1,"output_config":{"format":{"type":"json_schema"}},"messages":[{"role":"user","content":"x"}]}`, "output_config.format.schema", "missing_required_parameter"},
		{"format schema string", `{"model":"m","max_tokens":1,"output_config":{"format":{"type":"json_schema","schema":"{}"}},"messages":[{"role":"user","content":"x"}]}`, "output_config.format.schema", "invalid_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("keep")
			out, err := MessagesRequest(dst, []byte(tc.body), VLLM)
			if err == nil {
				t.Fatalf("want error on %s, got %s", tc.param, out)
			}
			if err.Status != 400 || err.Param != tc.param || err.Code != tc.code {
				t.Errorf("got %d %q %q (%s), want 400 %q %q", err.Status, err.Param, err.Code, err.Message, tc.param, tc.code)
			}
			if string(out) != "keep" {
				t.Errorf("dst changed on error: %q", out)
			}
		})
	}
}

var msgMeta = Meta{ID: "msg_01XFDUDYJgAACzvnptvVoYEL", CreatedAt: 1764000000, Model: "llama-3.1-8b"}

func TestMessagesResponse(t *testing.T) {
	cases := []struct {
		name      string
		dialect   Dialect
		wantText  string
		wantIn    int64
		wantOut   int64
		wantModel string
		meta      Meta
	}{
		{"plain", VLLM, "Hello! How can I help you today?", 12, 9, "", msgMeta},
		{"length", LlamaCpp, "Paris has roughly 2.1 million inhabitants within the city limits and about", 40, 16, "", msgMeta},
		{"reasoning_content", VLLM, "About 2.1 million people.", 40, 30, "", msgMeta},
		{"reasoning", VLLM, "42", 20, 11, "", msgMeta},
		{"null_content_tool_calls", VLLM, "", 50, 20, "", msgMeta},
		{"text_and_tool_calls", LlamaCpp, "Let me check the weather.", 50, 25, "", msgMeta},
		{"llamacpp", LlamaCpp, "Bonjour à tous!\n\"Salut\" 👋", 15, 8, "", msgMeta},
		{"json_output", SGLang, `{"name":"Ada","age":36}`, 30, 10, "", msgMeta},
		{"content_parts", OpenAI, "Part one.\nPart two.", 3, 4, "", msgMeta},
		{"no_usage", TGI, "ok", 0, 0, "", msgMeta},
		{"model_from_request", VLLM, "Hello! How can I help you today?", 12, 9, "llama-3.1-8b",
			Meta{ID: "msg_02", CreatedAt: 1}},
		{"typical_2k", VLLM, "", 412, 186, "", msgMeta},
	}
	req := msgRead(t, "requests/plain_text.json")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.name
			if tc.name == "model_from_request" {
				file = "plain"
			}
			engine := msgRead(t, filepath.Join("engine", file+".json"))
			orig, origReq := slices.Clone(engine), slices.Clone(req)
			out, err := MessagesResponse([]byte("x"), engine, req, tc.dialect, tc.meta)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !bytes.Equal(engine, orig) || !bytes.Equal(req, origReq) {
				t.Fatal("input modified")
			}
			if out[0] != 'x' {
				t.Fatal("dst prefix lost")
			}
			body := out[1:]
			msg := msgCheckMessage(t, body)
			wantModel := tc.wantModel
			if wantModel == "" {
				wantModel = tc.meta.Model
			}
			if msg.ID != tc.meta.ID || string(msg.Model) != wantModel {
				t.Errorf("id, model = %q, %q; want %q, %q", msg.ID, msg.Model, tc.meta.ID, wantModel)
			}
			if tc.name != "typical_2k" && msg.Content[0].Text != tc.wantText {
				t.Errorf("text = %q, want %q", msg.Content[0].Text, tc.wantText)
			}
			if msg.Usage.InputTokens != tc.wantIn || msg.Usage.OutputTokens != tc.wantOut {
				t.Errorf("usage = %d/%d, want %d/%d", msg.Usage.InputTokens, msg.Usage.OutputTokens, tc.wantIn, tc.wantOut)
			}
			msgGolden(t, filepath.Join("responses", tc.name+".json"), body)
		})
	}
}

// msgCheckMessage decodes body with the Anthropic SDK and checks what the matrix promises of
// every message: one text block, end_turn, no stop sequence, no thinking, no cache usage.
func msgCheckMessage(t *testing.T, body []byte) anthropic.Message {
	t.Helper()
	if !json.Valid(body) {
		t.Fatalf("not valid JSON: %s", body)
	}
	var msg anthropic.Message
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Fatalf("SDK cannot decode the message: %v\n%s", err, body)
	}
	if msg.Type != "message" || msg.Role != "assistant" {
		t.Errorf("type, role = %q, %q", msg.Type, msg.Role)
	}
	if len(msg.Content) != 1 || msg.Content[0].Type != "text" {
		t.Fatalf("content = %s, want one text block", msg.JSON.Content.Raw())
	}
	if _, ok := msg.Content[0].AsAny().(anthropic.TextBlock); !ok {
		t.Errorf("content[0] is %T, want TextBlock", msg.Content[0].AsAny())
	}
	if msg.StopReason != anthropic.StopReasonEndTurn {
		t.Errorf("stop_reason = %q, want end_turn", msg.StopReason)
	}
	if msg.JSON.StopSequence.Raw() != "null" {
		t.Errorf("stop_sequence = %s, want null", msg.JSON.StopSequence.Raw())
	}
	if !msg.JSON.Usage.Valid() || !msg.Usage.JSON.InputTokens.Valid() || !msg.Usage.JSON.OutputTokens.Valid() {
		t.Errorf("usage incomplete: %s", msg.JSON.Usage.Raw())
	}
	usage := gjson.GetBytes(body, "usage")
	for _, f := range []string{"cache_creation_input_tokens", "cache_read_input_tokens", "cache_creation"} {
		if usage.Get(f).Exists() {
			t.Errorf("usage.%s present; the matrix says cache fields are not included", f)
		}
	}
	var keys []string
	gjson.ParseBytes(body).ForEach(func(k, _ gjson.Result) bool {
		keys = append(keys, k.Str)
		return true
	})
	want := []string{"id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"}
	if !slices.Equal(keys, want) {
		t.Errorf("top-level keys = %v, want %v", keys, want)
	}
	return msg
}

func TestMessagesResponseErrors(t *testing.T) {
	cases := []struct{ name, engine string }{
		{"not json", `{"choices":[`},
		{"no choices", `{"object":"chat.completion"}`},
		{"empty choices", `{"choices":[]}`},
		{"choice not object", `{"choices":[1]}`},
		{"array body", `[]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := MessagesResponse(nil, []byte(tc.engine), nil, VLLM, msgMeta)
			if err == nil {
				t.Fatalf("want error, got %s", out)
			}
			if err.Status != 502 || err.Code != "upstream_invalid_response" {
				t.Errorf("got %v", err)
			}
		})
	}
}

// A reply whose text is not valid UTF-8 must still reach the client as valid JSON.
func TestMessagesResponseInvalidUTF8(t *testing.T) {
	engine := []byte("{\"choices\":[{\"message\":{\"content\":\"ab\xffc\\n\"}}]}")
	out, err := MessagesResponse(nil, engine, nil, VLLM, msgMeta)
	if err != nil {
		t.Fatal(err)
	}
	msg := msgCheckMessage(t, out)
	if got := msg.Content[0].Text; got != "ab\uFFFDc\n" {
		t.Errorf("text = %q", got)
	}
}

func TestMsgAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", "q\"b\\", "\x00\x01\x1f\t\r\n", "é😀\u2028", "bad\xff\xfe", "<&>"} {
		out := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q → %s: %v", s, out, err)
		}
		if want := string([]rune(s)); back != want {
			t.Errorf("%q round-trips to %q", s, back)
		}
	}
}

func msgSeeds(f *testing.F, dir string) {
	files, err := filepath.Glob(filepath.Join(msgTestdata, dir, "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in %s: %v", dir, err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzMessagesRequest(f *testing.F) {
	msgSeeds(f, "requests")
	f.Add([]byte(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":"a\ud800"}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		orig := slices.Clone(body)
		for _, d := range Dialects {
			out, err := MessagesRequest(nil, body, d)
			if !bytes.Equal(body, orig) {
				t.Fatal("input modified")
			}
			if err != nil {
				if err.Status != 400 {
					t.Fatalf("status %d: %v", err.Status, err)
				}
				continue
			}
			if !json.Valid(out) {
				t.Fatalf("invalid JSON out of %q: %s", body, out)
			}
		}
	})
}

func FuzzMessagesResponse(f *testing.F) {
	msgSeeds(f, "engine")
	f.Fuzz(func(t *testing.T, engine []byte) {
		orig := slices.Clone(engine)
		out, err := MessagesResponse(nil, engine, nil, VLLM, msgMeta)
		if !bytes.Equal(engine, orig) {
			t.Fatal("input modified")
		}
		if err != nil {
			return
		}
		var msg anthropic.Message
		if e := json.Unmarshal(out, &msg); e != nil || len(msg.Content) != 1 {
			t.Fatalf("bad message out of %q: %s (%v)", engine, out, e)
		}
	})
}

func BenchmarkMessagesRequest(b *testing.B) {
	body := msgRead(b, "requests/typical_2k.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var dst []byte
	for b.Loop() {
		out, err := MessagesRequest(dst[:0], body, VLLM)
		if err != nil {
			b.Fatal(err)
		}
		dst = out
	}
}

func BenchmarkMessagesResponse(b *testing.B) {
	engine := msgRead(b, "engine/typical_2k.json")
	req := msgRead(b, "requests/typical_2k.json")
	b.SetBytes(int64(len(engine)))
	b.ReportAllocs()
	var dst []byte
	for b.Loop() {
		out, err := MessagesResponse(dst[:0], engine, req, VLLM, msgMeta)
		if err != nil {
			b.Fatal(err)
		}
		dst = out
	}
}
