package translate

// Anthropic Messages (/v1/messages) ⇄ engine chat completions.
//
// The request side keeps only what the support matrix lists (model, max_tokens, messages,
// temperature, top_p, output_config.format) and drops metadata, which is sailshim's own
// scheduling input, not the engine's. The response side builds exactly the message the matrix
// promises: one text block, stop_reason "end_turn", no cache usage fields.

import (
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"

	"sailshim/apierr"
)

// msgJoin separates the text blocks of one message when they are flattened into a chat string;
// it is what vLLM itself uses when a chat template needs a string, so a block boundary reads the
// same whether or not sailshim flattened it.
const msgJoin = `\n`

// msgFields holds the top-level members MessagesRequest uses, found in one pass over the body.
type msgFields struct {
	model, maxTokens, messages, temperature, topP, outputConfig gjson.Result
}

// MessagesRequest turns a validated Anthropic /v1/messages body into an engine chat body for
// dialect d, appended to dst. dst must not overlap body; body is never modified.
//
// Fields the matrix does not list are not forwarded: rules has already rejected the ones that
// ask for something, so what is left here asks for nothing (null, stream:false, metadata).
func MessagesRequest(dst, body []byte, d Dialect) ([]byte, *apierr.Error) {
	s := msgString(body)
	if !gjson.Valid(s) {
		return dst, apierr.MalformedJSON()
	}
	root := gjson.Parse(s)
	if !root.IsObject() {
		return dst, apierr.MalformedJSON()
	}
	var f msgFields
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			f.model = v
		case "max_tokens":
			f.maxTokens = v
		case "messages":
			f.messages = v
		case "temperature":
			f.temperature = v
		case "top_p":
			f.topP = v
		case "output_config":
			f.outputConfig = v
		}
		return true
	})

	start := len(dst)
	out, err := msgWriteRequest(dst, &f, d)
	if err != nil {
		return out[:start], err
	}
	return out, nil
}

func msgWriteRequest(dst []byte, f *msgFields, d Dialect) ([]byte, *apierr.Error) {
	if f.model.Type == gjson.Null {
		return dst, apierr.Missing("model")
	}
	if f.model.Type != gjson.String {
		return dst, apierr.WrongType("model", "a string")
	}
	dst = append(dst, `{"model":`...)
	dst = msgAppendRawString(dst, f.model.Raw)

	dst = append(dst, `,"messages":`...)
	var lastRole string
	var err *apierr.Error
	if dst, lastRole, err = msgWriteMessages(dst, f.messages); err != nil {
		return dst, err
	}

	n, err := msgMaxTokens(f.maxTokens)
	if err != nil {
		return dst, err
	}
	if d == OpenAI {
		dst = append(dst, `,"max_completion_tokens":`...)
	} else {
		dst = append(dst, `,"max_tokens":`...)
	}
	dst = strconv.AppendInt(dst, n, 10)

	if dst, err = msgAppendNumber(dst, `,"temperature":`, "temperature", f.temperature); err != nil {
		return dst, err
	}
	if dst, err = msgAppendNumber(dst, `,"top_p":`, "top_p", f.topP); err != nil {
		return dst, err
	}
	if dst, err = msgWriteOutputConfig(dst, f.outputConfig, d); err != nil {
		return dst, err
	}
	// A final assistant turn is a prefill: Anthropic continues it rather than starting a new
	// turn. vLLM only does that when asked; llama.cpp's server does it by default.
	if lastRole == "assistant" && d == VLLM {
		dst = append(dst, `,"add_generation_prompt":false,"continue_final_message":true`...)
	}
	return append(dst, '}'), nil
}

// msgWriteMessages appends the chat messages array and reports the role of the last message.
func msgWriteMessages(dst []byte, msgs gjson.Result) ([]byte, string, *apierr.Error) {
	switch {
	case msgs.Type == gjson.Null:
		return dst, "", apierr.Missing("messages")
	case !msgs.IsArray():
		return dst, "", apierr.WrongType("messages", "an array")
	}
	dst = append(dst, '[')
	var (
		i    int
		role string
		err  *apierr.Error
	)
	msgs.ForEach(func(_, m gjson.Result) bool {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst, role, err = msgWriteMessage(dst, i, m)
		i++
		return err == nil
	})
	if err != nil {
		return dst, "", err
	}
	if i == 0 {
		return dst, "", apierr.BadValue("messages", "messages must contain at least one message.")
	}
	return append(dst, ']'), role, nil
}

func msgWriteMessage(dst []byte, i int, m gjson.Result) ([]byte, string, *apierr.Error) {
	if !m.IsObject() {
		return dst, "", apierr.WrongType(msgPath(i, "", -1), "an object")
	}
	var role, content gjson.Result
	m.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "role":
			role = v
		case "content":
			content = v
		}
		return true
	})
	if role.Type == gjson.Null {
		return dst, "", apierr.Missing(msgPath(i, "role", -1))
	}
	if role.Type != gjson.String || (role.Str != "user" && role.Str != "assistant") {
		return dst, "", apierr.BadValue(msgPath(i, "role", -1),
			"Invalid value for '%s': expected \"user\" or \"assistant\".", msgPath(i, "role", -1))
	}
	dst = append(dst, `{"role":"`...)
	dst = append(dst, role.Str...)
	dst = append(dst, `","content":`...)
	switch {
	case content.Type == gjson.String:
		dst = msgAppendRawString(dst, content.Raw)
	case content.IsArray():
		var err *apierr.Error
		if dst, err = msgWriteBlocks(dst, i, content); err != nil {
			return dst, "", err
		}
	case content.Type == gjson.Null:
		return dst, "", apierr.Missing(msgPath(i, "content", -1))
	default:
		return dst, "", apierr.WrongType(msgPath(i, "content", -1), "a string or an array of content blocks")
	}
	return append(dst, '}'), role.Str, nil
}

// msgWriteBlocks flattens text blocks into one JSON string. The raw interiors of valid JSON
// strings concatenate into a valid JSON string, so nothing is unescaped and escaped again.
func msgWriteBlocks(dst []byte, i int, blocks gjson.Result) ([]byte, *apierr.Error) {
	dst = append(dst, '"')
	var (
		j   int
		err *apierr.Error
	)
	blocks.ForEach(func(_, b gjson.Result) bool {
		if !b.IsObject() {
			err = apierr.WrongType(msgPath(i, "content", j), "an object")
			return false
		}
		var typ, text gjson.Result
		b.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "type":
				typ = v
			case "text":
				text = v
			}
			return true
		})
		if typ.Type != gjson.String || typ.Str != "text" {
			err = apierr.Unsupported(msgPath(i, "content", j)+".type",
				"Only text content blocks are supported; %s.type must be \"text\".", msgPath(i, "content", j))
			return false
		}
		if text.Type != gjson.String {
			err = apierr.WrongType(msgPath(i, "content", j)+".text", "a string")
			return false
		}
		if j > 0 {
			dst = append(dst, msgJoin...)
		}
		dst = msgAppendRawInterior(dst, text.Raw)
		j++
		return true
	})
	if err != nil {
		return dst, err
	}
	return append(dst, '"'), nil
}

func msgMaxTokens(v gjson.Result) (int64, *apierr.Error) {
	switch {
	case v.Type == gjson.Null:
		return 0, apierr.Missing("max_tokens")
	case v.Type != gjson.Number:
		return 0, apierr.WrongType("max_tokens", "an integer")
	case v.Num < 1 || v.Num != math.Trunc(v.Num) || v.Num > math.MaxInt32:
		return 0, apierr.BadValue("max_tokens", "max_tokens must be a positive integer.")
	}
	return int64(v.Num), nil
}

// msgAppendNumber forwards an optional number as the client wrote it; null means "not set".
func msgAppendNumber(dst []byte, key, param string, v gjson.Result) ([]byte, *apierr.Error) {
	switch v.Type {
	case gjson.Null:
		return dst, nil
	case gjson.Number:
		dst = append(dst, key...)
		return append(dst, v.Raw...), nil
	}
	return dst, apierr.WrongType(param, "a number")
}

// msgWriteOutputConfig maps output_config.format json_schema to OpenAI's strict response_format;
// the name is required by the OpenAI shape and Anthropic has none to offer. TGI reads its own
// grammar enum instead ({"type":"json","value":schema}, the spelling every release accepts).
func msgWriteOutputConfig(dst []byte, oc gjson.Result, d Dialect) ([]byte, *apierr.Error) {
	if oc.Type == gjson.Null {
		return dst, nil
	}
	if !oc.IsObject() {
		return dst, apierr.WrongType("output_config", "an object")
	}
	var format gjson.Result
	var err *apierr.Error
	oc.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "format":
			format = v
		case "effort":
			if v.Type != gjson.Null {
				err = apierr.Unsupported("output_config.effort", "output_config.effort is not supported.")
			}
		}
		return err == nil
	})
	if err != nil || format.Type == gjson.Null {
		return dst, err
	}
	if !format.IsObject() {
		return dst, apierr.WrongType("output_config.format", "an object")
	}
	var typ, schema gjson.Result
	format.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			typ = v
		case "schema":
			schema = v
		}
		return true
	})
	if typ.Type != gjson.String || typ.Str != "json_schema" {
		return dst, apierr.Unsupported("output_config.format.type",
			"Only output_config.format.type \"json_schema\" is supported.")
	}
	if !schema.IsObject() {
		if schema.Type == gjson.Null {
			return dst, apierr.Missing("output_config.format.schema")
		}
		return dst, apierr.WrongType("output_config.format.schema", "an object")
	}
	if d == TGI {
		dst = append(dst, `,"response_format":{"type":"json","value":`...)
		dst = append(dst, schema.Raw...)
		return append(dst, '}'), nil
	}
	dst = append(dst, `,"response_format":{"type":"json_schema","json_schema":{"name":"output","schema":`...)
	dst = append(dst, schema.Raw...)
	return append(dst, `,"strict":true}}`...), nil
}

// msgPath names messages[i], messages[i].field or messages[i].field[j] (j < 0: no index).
// Only error paths call it.
func msgPath(i int, field string, j int) string {
	p := "messages[" + strconv.Itoa(i) + "]"
	if field != "" {
		p += "." + field
	}
	if j >= 0 {
		p += "[" + strconv.Itoa(j) + "]"
	}
	return p
}

// MessagesResponse turns the engine's chat reply into an Anthropic message appended to dst.
// req is the client's request body; its model names the reply when m.Model is empty.
// Neither engine nor req is modified.
func MessagesResponse(dst, engine, req []byte, d Dialect, m Meta) ([]byte, *apierr.Error) {
	_ = d // every dialect's reply reads the same for what a message needs
	s := msgString(engine)
	if !gjson.Valid(s) {
		return dst, msgBadUpstream("The inference engine returned a reply that is not valid JSON.")
	}
	root := gjson.Parse(s)
	choice := root.Get("choices.0")
	if !choice.IsObject() {
		return dst, msgBadUpstream("The inference engine returned a reply without a choice.")
	}
	content := choice.Get("message.content")
	usage := root.Get("usage")

	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, m.ID)
	dst = append(dst, `,"type":"message","role":"assistant","model":`...)
	dst = msgAppendModel(dst, m.Model, req, root)
	dst = append(dst, `,"content":[{"type":"text","text":`...)
	dst = msgAppendContent(dst, content)
	// The matrix promises end_turn whatever the engine says (length, tool_calls, …).
	dst = append(dst, `}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":`...)
	dst = strconv.AppendInt(dst, msgCount(usage.Get("prompt_tokens")), 10)
	dst = append(dst, `,"output_tokens":`...)
	dst = strconv.AppendInt(dst, msgCount(usage.Get("completion_tokens")), 10)
	return append(dst, `}}`...), nil
}

func msgAppendModel(dst []byte, model string, req []byte, engine gjson.Result) []byte {
	if model != "" {
		return appendJSONString(dst, model)
	}
	if r := gjson.Get(msgString(req), "model"); r.Type == gjson.String && gjson.Valid(r.Raw) {
		return msgAppendRawString(dst, r.Raw)
	}
	if r := engine.Get("model"); r.Type == gjson.String {
		return msgAppendRawString(dst, r.Raw)
	}
	return append(dst, `""`...)
}

// msgAppendContent writes the assistant text: a string as is, null as "", and an array of
// text parts (some servers send one) joined like request blocks.
func msgAppendContent(dst []byte, c gjson.Result) []byte {
	switch {
	case c.Type == gjson.String:
		return msgAppendRawString(dst, c.Raw)
	case c.IsArray():
		dst = append(dst, '"')
		n := 0
		c.ForEach(func(_, p gjson.Result) bool {
			t := p.Get("text")
			if t.Type != gjson.String {
				return true
			}
			if n > 0 {
				dst = append(dst, msgJoin...)
			}
			dst = msgAppendRawInterior(dst, t.Raw)
			n++
			return true
		})
		return append(dst, '"')
	}
	return append(dst, `""`...)
}

func msgCount(v gjson.Result) int64 {
	if v.Type != gjson.Number || v.Num < 0 || v.Num > math.MaxInt64/2 {
		return 0
	}
	return int64(v.Num)
}

func msgBadUpstream(msg string) *apierr.Error {
	return apierr.New(502, apierr.TypeServer, "", "upstream_invalid_response", "%s", msg)
}

// msgString views b as a string without copying. The string must not outlive a call, and b is
// only ever read, so the aliasing is safe.
func msgString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// msgAppendRawString appends a JSON string token taken from validated JSON. Valid UTF-8 is
// copied as is; anything else is re-encoded so strict clients can parse what sailshim sends.
func msgAppendRawString(dst []byte, raw string) []byte {
	if utf8.ValidString(raw) {
		return append(dst, raw...)
	}
	return appendJSONString(dst, gjson.Parse(raw).Str)
}

// msgAppendRawInterior appends a JSON string token without its quotes.
func msgAppendRawInterior(dst []byte, raw string) []byte {
	if len(raw) < 2 {
		return dst
	}
	if utf8.ValidString(raw) {
		return append(dst, raw[1:len(raw)-1]...)
	}
	q := appendJSONString(nil, gjson.Parse(raw).Str)
	return append(dst, q[1:len(q)-1]...)
}
