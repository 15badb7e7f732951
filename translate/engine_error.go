package translate

// Engine error replies → the client's OpenAI error envelope, and the pool's question: whose
// fault was it? Engines disagree on the envelope (vLLM, TGI, llama.cpp, FastAPI) and on the
// status (TGI 422, llama.cpp 500 for a body it cannot parse), so both are read, never trusted.

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"sailshim/apierr"
)

// maxEngineMessage bounds how much of an engine's message is quoted to a client.
const maxEngineMessage = 512

// EngineError turns an engine's error reply (any dialect: vLLM {"object":"error",…,"code":<int>}, TGI {"error":"…","error_type":…}, llama.cpp/OpenAI {"error":{…}}, or garbage) into the client envelope. clientFault reports that the engine blamed the request (400/404/413/422, or a llama.cpp 500 that says the JSON could not be parsed): the pool returns it as is and does not count it against the upstream; otherwise the failure is the upstream's (retry elsewhere, breaker failure).
//
// The engine's own error type is never shown as the OpenAI type, and its message is quoted only
// when it is about the request (a 5xx message can carry internals such as paths or CUDA state).
func EngineError(d Dialect, status int, body []byte) (e *apierr.Error, clientFault bool) {
	msg, typ := readEngineError(body)
	lower := strings.ToLower(msg + " " + typ)
	switch {
	case status == 429 || status == 503 || strings.EqualFold(typ, "overloaded"):
		return apierr.Unavailable(1, "The inference engine is overloaded. Retry the request shortly."), false
	case status == 400 || status == 422:
		if isContextLength(lower) {
			return apierr.New(400, apierr.TypeInvalidRequest, "", "context_length_exceeded",
				"%s", quoteEngine("The request does not fit in the model's context window", msg)), true
		}
		return apierr.New(400, apierr.TypeInvalidRequest, "", "",
			"%s", quoteEngine("The inference engine rejected the request", msg)), true
	case status == 413:
		return apierr.New(413, apierr.TypeInvalidRequest, "", "request_too_large",
			"%s", quoteEngine("The request is too large for the inference engine", msg)), true
	case status == 404 && strings.Contains(lower, "model"):
		return apierr.New(404, apierr.TypeInvalidRequest, "model", "model_not_found",
			"%s", quoteEngine("The model is not served by the inference engine", msg)), true
	case status == 500 && d == LlamaCpp && isParseError(lower):
		// llama-server answers a body it cannot parse with 500; the body is the request's.
		return apierr.New(400, apierr.TypeInvalidRequest, "", "invalid_json",
			"The inference engine could not parse the request body as JSON."), true
	}
	return apierr.New(502, apierr.TypeServer, "", "upstream_error",
		"The inference engine failed to process the request (HTTP %d).", status), false
}

// readEngineError extracts the message and the engine's own error type from any envelope.
func readEngineError(body []byte) (msg, typ string) {
	s := viewString(body)
	if !gjson.Valid(s) {
		return "", ""
	}
	root := gjson.Parse(s)
	if !root.IsObject() {
		return "", ""
	}
	if e := root.Get("error"); e.IsObject() { // OpenAI, llama.cpp, newer vLLM
		return e.Get("message").Str, e.Get("type").Str
	} else if e.Type == gjson.String { // TGI
		return e.Str, root.Get("error_type").Str
	}
	if m := root.Get("message"); m.Type == gjson.String { // vLLM {"object":"error",…}
		return m.Str, root.Get("type").Str
	}
	switch det := root.Get("detail"); { // FastAPI (SGLang, older vLLM)
	case det.Type == gjson.String:
		return det.Str, ""
	case det.IsArray():
		return det.Get("0.msg").Str, ""
	}
	return "", ""
}

var contextLengthHints = []string{
	"context length", "context window", "context size", "exceed_context_size",
	"maximum model length", "max_model_len", "`inputs` tokens + `max_new_tokens`",
	"inputs` must have less than", "prompt is too long", "is too long and exceeds",
}

func isContextLength(lower string) bool {
	for _, h := range contextLengthHints {
		if strings.Contains(lower, h) {
			return true
		}
	}
	return false
}

func isParseError(lower string) bool {
	return strings.Contains(lower, "parse_error") || strings.Contains(lower, "parse error") ||
		strings.Contains(lower, "failed to parse") || strings.Contains(lower, "invalid json")
}

// quoteEngine is what + ": " + the engine's message, cleaned for a client to read.
func quoteEngine(what, msg string) string {
	msg = cleanMessage(msg)
	if msg == "" {
		return what + "."
	}
	return what + ": " + msg
}

// cleanMessage keeps an engine message to one printable line of bounded length, so it reads
// well and encodes as JSON under any quoting.
func cleanMessage(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(min(len(msg), maxEngineMessage+4))
	space := false
	for _, r := range msg {
		if r == utf8.RuneError || !unicode.IsPrint(r) || unicode.IsSpace(r) {
			space = true
			continue
		}
		if b.Len() >= maxEngineMessage {
			b.WriteString("…")
			break
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
