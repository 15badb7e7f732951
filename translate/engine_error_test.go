package translate

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"sailshim/apierr"
	"sailshim/internal/oaischema"
)

// Engine error goldens: testdata/engine_error/<dialect>.<status>.<case>.json is the engine's
// body (any bytes); <…>.out.json is what the client and the pool get.
func TestEngineErrorGolden(t *testing.T) {
	for _, g := range engineErrorCases(t) {
		t.Run(g.Name, func(t *testing.T) {
			body := g.read(t, "")
			keep := bytes.Clone(body)
			e, clientFault := EngineError(g.Dialect, g.status, body)
			unchanged(t, "body", keep, body)
			env := e.AppendJSON(nil)
			oaischema.Validate(t, "ErrorResponse", env)
			checkEngineError(t, g.status, body, e, clientFault)
			got := `{"status":` + strconv.Itoa(e.Status) + `,"client_fault":` + strconv.FormatBool(clientFault) +
				`,"retry_after":` + strconv.Itoa(e.RetryAfter) + `,"envelope":` + string(env) + `}`
			checkGolden(t, g.path("out"), []byte(got))
		})
	}
}

type engineErrorCase struct {
	goldenCase
	status int
}

func engineErrorCases(t testing.TB) []engineErrorCase {
	entries, err := os.ReadDir("testdata/engine_error")
	if err != nil {
		t.Fatal(err)
	}
	var out []engineErrorCase
	for _, en := range entries {
		name := en.Name()
		if strings.HasSuffix(name, ".out.json") || !strings.HasSuffix(name, ".json") {
			continue
		}
		stem := strings.TrimSuffix(name, ".json")
		parts := strings.SplitN(stem, ".", 3)
		status, err := strconv.Atoi(parts[1])
		if len(parts) != 3 || err != nil {
			t.Fatalf("bad case name %s: want <dialect>.<status>.<case>.json", name)
		}
		out = append(out, engineErrorCase{goldenCase{Name: stem, Dialect: Dialect(parts[0]), Dir: "engine_error"}, status})
	}
	return out
}

// read("") reads the body file itself (<stem>.json).
func (g engineErrorCase) read(t testing.TB, kind string) []byte {
	t.Helper()
	if kind != "" {
		return g.goldenCase.read(t, kind)
	}
	b, err := os.ReadFile("testdata/engine_error/" + g.Name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkEngineError asserts the rules every envelope follows.
func checkEngineError(t *testing.T, status int, body []byte, e *apierr.Error, clientFault bool) {
	t.Helper()
	switch e.Type {
	case apierr.TypeInvalidRequest, apierr.TypeServer, apierr.TypeUnavailable:
	default:
		t.Errorf("type %q is not one sailshim uses for engine errors", e.Type)
	}
	if clientFault != (e.Status < 500) {
		t.Errorf("client fault %v with status %d", clientFault, e.Status)
	}
	if e.Status == 500 {
		t.Error("an engine failure reached the client as a 500")
	}
	if e.Status == 503 && e.RetryAfter <= 0 {
		t.Error("503 without Retry-After")
	}
	for _, internal := range []string{"BadRequestError", "NotFoundError", "exceed_context_size_error", "CUDA", "EngineCore"} {
		if strings.Contains(e.Type, internal) || (e.Status >= 500 && strings.Contains(e.Message, internal)) {
			t.Errorf("engine internals %q leaked: %+v", internal, e)
		}
	}
	if len(e.Message) > maxEngineMessage+200 {
		t.Errorf("message of %d bytes", len(e.Message))
	}
	if !json.Valid(e.AppendJSON(nil)) {
		t.Errorf("envelope is not JSON: %s", e.AppendJSON(nil))
	}
}

func TestEngineError(t *testing.T) {
	cases := []struct {
		name        string
		d           Dialect
		status      int
		body        string
		wantStatus  int
		wantCode    string
		clientFault bool
	}{
		{"vllm context", VLLM, 400, `{"object":"error","message":"This model's maximum context length is 8 tokens.","type":"BadRequestError","code":400}`, 400, "context_length_exceeded", true},
		{"tgi 422 is 400", TGI, 422, `{"error":"Input validation error: top_p must be > 0","error_type":"validation"}`, 400, "", true},
		{"tgi overloaded", TGI, 429, `{"error":"Model is overloaded","error_type":"overloaded"}`, 503, "upstream_unavailable", false},
		{"503", VLLM, 503, ``, 503, "upstream_unavailable", false},
		{"model 404", VLLM, 404, `{"object":"error","message":"The model ` + "`x`" + ` does not exist.","type":"NotFoundError","code":404}`, 404, "model_not_found", true},
		{"route 404 is the upstream's", LlamaCpp, 404, `{"error":{"code":404,"message":"File Not Found","type":"not_found_error"}}`, 502, "upstream_error", false},
		{"llama parse 500", LlamaCpp, 500, `{"error":{"code":500,"message":"[json.exception.parse_error.101] parse error","type":"server_error"}}`, 400, "invalid_json", true},
		{"vllm 500 with parse words stays upstream", VLLM, 500, `{"object":"error","message":"parse error in worker"}`, 502, "upstream_error", false},
		{"other llama 500", LlamaCpp, 500, `{"error":{"code":500,"message":"slot crashed","type":"server_error"}}`, 502, "upstream_error", false},
		{"garbage 502", VLLM, 502, `<html>`, 502, "upstream_error", false},
		{"401 misconfigured upstream", OpenAI, 401, `{"error":{"message":"bad key","type":"invalid_request_error"}}`, 502, "upstream_error", false},
		{"413", OpenAI, 413, `{}`, 413, "request_too_large", true},
		{"fastapi detail", SGLang, 422, `{"detail":[{"msg":"Field required"}]}`, 400, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, cf := EngineError(c.d, c.status, []byte(c.body))
			if e.Status != c.wantStatus || e.Code != c.wantCode || cf != c.clientFault {
				t.Fatalf("got %d %q fault=%v (%s), want %d %q fault=%v", e.Status, e.Code, cf, e.Message, c.wantStatus, c.wantCode, c.clientFault)
			}
			checkEngineError(t, c.status, []byte(c.body), e, cf)
		})
	}
}

func TestEngineErrorQuotesMessage(t *testing.T) {
	e, _ := EngineError(TGI, 422, []byte(`{"error":"Input validation error: `+"`temperature`"+` must be strictly positive","error_type":"validation"}`))
	if !strings.Contains(e.Message, "`temperature` must be strictly positive") {
		t.Errorf("message %q does not tell the client what was wrong", e.Message)
	}
	env := e.AppendJSON(nil)
	if got := gjson.GetBytes(env, "error.type").Str; got != "invalid_request_error" {
		t.Errorf("type %q", got)
	}
}

func TestCleanMessage(t *testing.T) {
	cases := map[string]string{
		"  plain  ":              "plain",
		"a\x00b\tc\n\nd":         "a b c d",
		"bad \xff utf8":          "bad utf8",
		"line\u2028sep":          "line sep",
		strings.Repeat("é", 600): strings.Repeat("é", maxEngineMessage/2) + "…",
	}
	for in, want := range cases {
		if got := cleanMessage(in); got != want {
			t.Errorf("cleanMessage(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzEngineError(f *testing.F) {
	for _, g := range engineErrorCases(f) {
		f.Add(uint8(dialectIndex(g.Dialect)), g.status, g.read(f, ""))
	}
	f.Fuzz(func(t *testing.T, di uint8, status int, body []byte) {
		d := Dialects[int(di)%len(Dialects)]
		keep := bytes.Clone(body)
		e, cf := EngineError(d, status, body)
		unchanged(t, "body", keep, body)
		if e == nil {
			t.Fatal("nil error")
		}
		if cf != (e.Status < 500) || e.Status == 500 {
			t.Fatalf("status %d fault %v", e.Status, cf)
		}
		if err := oaischema.Check("ErrorResponse", e.AppendJSON(nil)); err != nil {
			t.Fatal(err)
		}
	})
}
