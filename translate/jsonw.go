package translate

// Low-level JSON writing shared by the chat and Responses translators: an append-based writer
// (no encoder, no reflection, no intermediate maps) plus the usage block every surface reports.

import (
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"

	"sailshim/internal/jsonw"
)

// viewString views b as a string without copying. gjson results taken from it alias b, so they
// must not outlive the call that made them; b is only ever read.
func viewString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// appendKey appends `"k":`, preceded by a comma unless it opens an object. k must be a literal
// that needs no escaping.
func appendKey(dst []byte, k string) []byte {
	dst = appendSep(dst)
	dst = append(dst, '"')
	dst = append(dst, k...)
	return append(dst, '"', ':')
}

// appendSep appends the comma that separates members and elements. Every value this package
// writes ends in something other than '{' or '[', so the previous byte tells whether a member
// came before.
func appendSep(dst []byte) []byte {
	if n := len(dst); n > 0 && dst[n-1] != '{' && dst[n-1] != '[' {
		dst = append(dst, ',')
	}
	return dst
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(dst []byte, s string) []byte { return jsonw.AppendString(dst, s) }

// appendEscaped appends the inside of a JSON string for s (no quotes).
func appendEscaped(dst []byte, s string) []byte { return jsonw.AppendEscaped(dst, s) }

// appendRawString appends a string token taken from parsed JSON (r.Type == gjson.String). gjson
// does not check UTF-8, so a token that is not valid UTF-8 is re-encoded rather than copied.
func appendRawString(dst []byte, r gjson.Result) []byte {
	if utf8.ValidString(r.Raw) {
		return append(dst, r.Raw...)
	}
	return appendJSONString(dst, r.Str)
}

// appendRawInterior appends a string token without its quotes, for joining several strings
// into one. Anything but a string appends nothing.
func appendRawInterior(dst []byte, r gjson.Result) []byte {
	if r.Type != gjson.String {
		return dst
	}
	if len(r.Raw) >= 2 && utf8.ValidString(r.Raw) {
		return append(dst, r.Raw[1:len(r.Raw)-1]...)
	}
	return appendEscaped(dst, r.Str)
}

// appendStringOr appends r when it is a string and def (a JSON literal) otherwise.
func appendStringOr(dst []byte, r gjson.Result, def string) []byte {
	if r.Type == gjson.String {
		return appendRawString(dst, r)
	}
	return append(dst, def...)
}

// appendNumberOr appends r when it is a number and def (a JSON literal) otherwise.
func appendNumberOr(dst []byte, r gjson.Result, def string) []byte {
	if r.Type == gjson.Number {
		return append(dst, r.Raw...)
	}
	return append(dst, def...)
}

// appendInputArgs appends the JSON string holding the arguments object {"input":<input>} that a
// custom tool call becomes when the engine only knows function tools: the input is escaped
// twice, once as a JSON string inside the object and once as the string that carries it.
func appendInputArgs(dst []byte, input string) []byte {
	dst = append(dst, `"{\"input\":\"`...)
	var buf [512]byte
	inner := appendEscaped(buf[:0], input)
	dst = appendEscaped(dst, viewString(inner))
	return append(dst, `\"}"`...)
}

// appendInputArgsTok is appendInputArgs for a string token from a request body.
func appendInputArgsTok(dst []byte, t tok) []byte {
	if t.kind != tString {
		return appendInputArgs(dst, "")
	}
	if len(t.raw) >= 2 && utf8.ValidString(t.raw) {
		// The token's inside is already escaped once; escape it again as the outer string.
		dst = append(dst, `"{\"input\":\"`...)
		dst = appendEscaped(dst, t.raw[1:len(t.raw)-1])
		return append(dst, `\"}"`...)
	}
	return appendInputArgs(dst, t.text())
}

// appendStr is appendRawString for a string token from a request body.
func appendStr(dst []byte, t tok) []byte {
	if utf8.ValidString(t.raw) {
		return append(dst, t.raw...)
	}
	return appendJSONString(dst, t.text())
}

// appendStrOr appends t when it is a string and def (a JSON literal) otherwise.
func appendStrOr(dst []byte, t tok, def string) []byte {
	if t.kind == tString {
		return appendStr(dst, t)
	}
	return append(dst, def...)
}

// appendStrInterior is appendRawInterior for a string token from a request body.
func appendStrInterior(dst []byte, t tok) []byte {
	if t.kind != tString {
		return dst
	}
	if len(t.raw) >= 2 && utf8.ValidString(t.raw) {
		return append(dst, t.raw[1:len(t.raw)-1]...)
	}
	return appendEscaped(dst, t.text())
}

// idSuffix is the part of a sailshim object id after its type prefix ("chatcmpl-", "resp_",
// "msg_"), which derived ids reuse so they stay unique and stable per object.
func idSuffix(id string) string {
	for i := 0; i < len(id); i++ {
		if id[i] == '-' || id[i] == '_' {
			if i+1 < len(id) {
				return id[i+1:]
			}
			break
		}
	}
	return id
}

// appendDerivedID appends the JSON string prefix + suffix(m.ID) + "_" + index.
func appendDerivedID(dst []byte, prefix, id string, index int) []byte {
	dst = append(dst, '"')
	dst = append(dst, prefix...)
	dst = appendEscaped(dst, idSuffix(id))
	dst = append(dst, '_')
	dst = strconv.AppendInt(dst, int64(index), 10)
	return append(dst, '"')
}

// engineUsage is the token accounting an engine reported on its chat reply.
type engineUsage struct {
	Prompt, Completion, Total int64
	Cached, Reasoning         int64
	HasCached, HasReasoning   bool
}

// readEngineUsage reads an engine's usage object; absent or malformed counts read as 0.
func readEngineUsage(u gjson.Result) engineUsage {
	var eu engineUsage
	if !u.IsObject() {
		return eu
	}
	u.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "prompt_tokens":
			eu.Prompt = tokenCount(v)
		case "completion_tokens":
			eu.Completion = tokenCount(v)
		case "total_tokens":
			eu.Total = tokenCount(v)
		case "prompt_tokens_details":
			if c := v.Get("cached_tokens"); c.Type == gjson.Number {
				eu.Cached, eu.HasCached = tokenCount(c), true
			}
		case "completion_tokens_details":
			if r := v.Get("reasoning_tokens"); r.Type == gjson.Number {
				eu.Reasoning, eu.HasReasoning = tokenCount(r), true
			}
		}
		return true
	})
	if eu.Total < eu.Prompt+eu.Completion {
		eu.Total = eu.Prompt + eu.Completion
	}
	return eu
}

func tokenCount(v gjson.Result) int64 {
	if v.Type != gjson.Number || !(v.Num >= 0) || v.Num > math.MaxInt32 {
		return 0
	}
	return int64(v.Num)
}

// appendChat appends the chat completion usage object.
func (u engineUsage) appendChat(dst []byte) []byte {
	dst = append(dst, `{"prompt_tokens":`...)
	dst = strconv.AppendInt(dst, u.Prompt, 10)
	dst = append(dst, `,"completion_tokens":`...)
	dst = strconv.AppendInt(dst, u.Completion, 10)
	dst = append(dst, `,"total_tokens":`...)
	dst = strconv.AppendInt(dst, u.Total, 10)
	if u.HasCached {
		dst = append(dst, `,"prompt_tokens_details":{"cached_tokens":`...)
		dst = strconv.AppendInt(dst, u.Cached, 10)
		dst = append(dst, '}')
	}
	if u.HasReasoning {
		dst = append(dst, `,"completion_tokens_details":{"reasoning_tokens":`...)
		dst = strconv.AppendInt(dst, u.Reasoning, 10)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// appendResponses appends the Responses API usage object; its details are required there.
func (u engineUsage) appendResponses(dst []byte) []byte {
	dst = append(dst, `{"input_tokens":`...)
	dst = strconv.AppendInt(dst, u.Prompt, 10)
	dst = append(dst, `,"input_tokens_details":{"cached_tokens":`...)
	dst = strconv.AppendInt(dst, u.Cached, 10)
	dst = append(dst, `,"cache_write_tokens":0},"output_tokens":`...)
	dst = strconv.AppendInt(dst, u.Completion, 10)
	dst = append(dst, `,"output_tokens_details":{"reasoning_tokens":`...)
	dst = strconv.AppendInt(dst, u.Reasoning, 10)
	dst = append(dst, `},"total_tokens":`...)
	dst = strconv.AppendInt(dst, u.Total, 10)
	return append(dst, '}')
}
