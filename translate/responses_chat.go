package translate

// Responses API request → engine chat request. One walk over the body writes the chat body
// directly, applying the same dialect rules (caps table) as ChatRequest.

import (
	"strconv"

	"github.com/tidwall/gjson"

	"sailshim/apierr"
)

// ResponsesRequest turns a validated /v1/responses body into a chat body for dialect d (it calls the same dialect rules as ChatRequest, without a second parse of the body where avoidable).
//
// Forwarded: model, input (as messages), max_output_tokens, temperature, top_p, text.format,
// reasoning.effort, tools, tool_choice, parallel_tool_calls. Everything else (metadata,
// background, include, truncation, store, user, service_tier, …) is sailshim's business.
func ResponsesRequest(dst, body []byte, d Dialect) ([]byte, *apierr.Error) {
	c, e := capsOf(d)
	if e != nil {
		return dst, e
	}
	root, e := parseBody(body)
	if e != nil {
		return dst, e
	}
	start := len(dst)
	w := respReqWriter{dst: append(dst, '{'), c: c}
	root.ForEach(w.member)
	if w.err != nil {
		return dst[:start], w.err
	}
	if w.effort.Type == gjson.String {
		w.dst = appendEffortKwarg(w.dst, w.effort)
	}
	return append(w.dst, '}'), nil
}

type respReqWriter struct {
	dst    []byte
	c      *dialectCaps
	effort gjson.Result
	err    *apierr.Error
}

func (w *respReqWriter) member(k, v gjson.Result) bool {
	switch k.Str {
	case "model", "temperature", "top_p", "parallel_tool_calls":
		if v.Type != gjson.Null {
			w.dst = appendSep(w.dst)
			w.dst = append(w.dst, k.Raw...)
			w.dst = append(w.dst, ':')
			w.dst = append(w.dst, v.Raw...)
		}
	case "max_output_tokens":
		if v.Type == gjson.Number {
			w.dst = appendKey(w.dst, w.c.maxTokens)
			w.dst = append(w.dst, v.Raw...)
		}
	case "input":
		w.dst = appendKey(w.dst, "messages")
		w.dst, w.err = appendResponsesInput(w.dst, v, w.c)
	case "text":
		if f := v.Get("format"); f.IsObject() {
			w.dst = appendTextFormat(w.dst, f, w.c)
		}
	case "reasoning":
		w.dst = appendEffort(w.dst, v.Get("effort"), w.c, &w.effort)
	case "tools":
		if v.IsArray() {
			w.dst = appendKey(w.dst, "tools")
			w.dst = appendResponsesTools(w.dst, v, w.c)
		}
	case "tool_choice":
		if v.Type != gjson.Null {
			w.dst = appendKey(w.dst, "tool_choice")
			w.dst = appendResponsesToolChoice(w.dst, v, w.c)
		}
	}
	return w.err == nil
}

// appendTextFormat writes text.format as the dialect's response_format.
func appendTextFormat(dst []byte, f gjson.Result, c *dialectCaps) []byte {
	switch f.Get("type").Str {
	case "json_schema":
		if c.format == formatTGI {
			dst = appendKey(dst, "response_format")
			dst = append(dst, `{"type":"json","value":`...)
			dst = appendObjectOr(dst, f.Get("schema"), permissiveObject)
			return append(dst, '}')
		}
		dst = appendKey(dst, "response_format")
		dst = append(dst, `{"type":"json_schema","json_schema":{"name":`...)
		dst = appendStringOr(dst, f.Get("name"), `"response"`)
		if desc := f.Get("description"); desc.Type == gjson.String {
			dst = append(dst, `,"description":`...)
			dst = appendRawString(dst, desc)
		}
		dst = append(dst, `,"schema":`...)
		dst = appendObjectOr(dst, f.Get("schema"), permissiveObject)
		if strict := f.Get("strict"); strict.IsBool() {
			dst = append(dst, `,"strict":`...)
			dst = append(dst, strict.Raw...)
		}
		return append(dst, `}}`...)
	case "json_object":
		// The matrix rejects it on Responses; if it gets here, it means what chat's does.
		return appendResponseFormat(dst, gjson.Parse(`{"type":"json_object"}`), c)
	}
	return dst // "text" is every engine's default
}

func appendObjectOr(dst []byte, v gjson.Result, def string) []byte {
	if v.IsObject() {
		return append(dst, v.Raw...)
	}
	return append(dst, def...)
}

// respTool is a Responses tool's members, read in one pass.
type respTool struct {
	typ                                string
	name, desc, params, strict, format gjson.Result
}

func readRespTool(t gjson.Result) respTool {
	var rt respTool
	t.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			rt.typ = v.Str
		case "name":
			rt.name = v
		case "description":
			rt.desc = v
		case "parameters":
			rt.params = v
		case "strict":
			rt.strict = v
		case "format":
			rt.format = v
		}
		return true
	})
	return rt
}

// appendResponsesTools writes Responses tools ({type, name, …} flat) as chat tools.
func appendResponsesTools(dst []byte, tools gjson.Result, c *dialectCaps) []byte {
	dst = append(dst, '[')
	tools.ForEach(func(_, t gjson.Result) bool {
		rt := readRespTool(t)
		switch rt.typ {
		case "function":
			dst = appendSep(dst)
			dst = appendFunctionTool(dst, &rt, c)
		case "custom":
			dst = appendSep(dst)
			if c.customTools {
				dst = appendNativeCustomTool(dst, &rt)
			} else {
				dst = appendCustomAsFunction(dst, rt.name, rt.desc, rt.format)
			}
		}
		// Other tool types are server-side tools the matrix rejects before translation.
		return true
	})
	return append(dst, ']')
}

func appendFunctionTool(dst []byte, rt *respTool, c *dialectCaps) []byte {
	dst = append(dst, `{"type":"function","function":{"name":`...)
	dst = appendStringOr(dst, rt.name, `""`)
	if rt.desc.Type == gjson.String {
		dst = append(dst, `,"description":`...)
		dst = appendRawString(dst, rt.desc)
	}
	if rt.params.IsObject() {
		dst = append(dst, `,"parameters":`...)
		dst = append(dst, rt.params.Raw...)
	} else if c.fillParams {
		dst = append(dst, `,"parameters":{"type":"object","properties":{}}`...)
	}
	if rt.strict.IsBool() {
		dst = append(dst, `,"strict":`...)
		dst = append(dst, rt.strict.Raw...)
	}
	return append(dst, `}}`...)
}

// appendNativeCustomTool writes a Responses custom tool in chat's nested form.
func appendNativeCustomTool(dst []byte, rt *respTool) []byte {
	dst = append(dst, `{"type":"custom","custom":{"name":`...)
	dst = appendStringOr(dst, rt.name, `""`)
	if rt.desc.Type == gjson.String {
		dst = append(dst, `,"description":`...)
		dst = appendRawString(dst, rt.desc)
	}
	if f := rt.format; f.IsObject() {
		dst = append(dst, `,"format":`...)
		if f.Get("type").Str == "grammar" {
			dst = append(dst, `{"type":"grammar","grammar":{"syntax":`...)
			dst = appendStringOr(dst, f.Get("syntax"), `"lark"`)
			dst = append(dst, `,"definition":`...)
			dst = appendStringOr(dst, f.Get("definition"), `""`)
			dst = append(dst, `}}`...)
		} else {
			dst = append(dst, `{"type":"text"}`...)
		}
	}
	return append(dst, `}}`...)
}

// appendResponsesToolChoice maps tool_choice: modes pass; {type:function,name} nests the name;
// {type:custom,name} nests it too, as the stand-in function where the engine has no custom tools.
func appendResponsesToolChoice(dst []byte, v gjson.Result, c *dialectCaps) []byte {
	if !v.IsObject() {
		return append(dst, v.Raw...)
	}
	name := v.Get("name")
	switch typ := v.Get("type").Str; {
	case typ == "function" || (typ == "custom" && !c.customTools):
		dst = append(dst, `{"type":"function","function":{"name":`...)
	case typ == "custom":
		dst = append(dst, `{"type":"custom","custom":{"name":`...)
	default:
		return append(dst, v.Raw...)
	}
	dst = appendStringOr(dst, name, `""`)
	return append(dst, `}}`...)
}

// Open-message states while writing input items as chat messages: tool calls attach to the
// assistant message before them, so a message stays open until an item that cannot join it.
const (
	openNone      = iota
	openAssistant // {"role":"assistant","content":… written, not closed
	openToolCalls // …,"tool_calls":[… written, not closed
)

type inputWriter struct {
	dst  []byte
	c    *dialectCaps
	open int
	err  *apierr.Error
}

// appendResponsesInput writes input (a string or an item array) as a chat messages array.
func appendResponsesInput(dst []byte, input gjson.Result, c *dialectCaps) ([]byte, *apierr.Error) {
	switch {
	case input.Type == gjson.String:
		dst = append(dst, `[{"role":"user","content":`...)
		dst = appendRawString(dst, input)
		return append(dst, `}]`...), nil
	case !input.IsArray():
		return dst, apierr.WrongType("input", "a string or an array of input items")
	}
	w := inputWriter{dst: append(dst, '['), c: c}
	i := 0
	input.ForEach(func(_, item gjson.Result) bool {
		w.item(i, item)
		i++
		return w.err == nil
	})
	if w.err != nil {
		return dst, w.err
	}
	w.close()
	return append(w.dst, ']'), nil
}

func (w *inputWriter) close() {
	switch w.open {
	case openAssistant:
		w.dst = append(w.dst, '}')
	case openToolCalls:
		w.dst = append(w.dst, `]}`...)
	}
	w.open = openNone
}

// respItem is an input item's members, read in one pass.
type respItem struct {
	typ, role                                  gjson.Result
	content, callID, name, args, input, output gjson.Result
}

func readRespItem(item gjson.Result) respItem {
	var it respItem
	item.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			it.typ = v
		case "role":
			it.role = v
		case "content":
			it.content = v
		case "call_id":
			it.callID = v
		case "name":
			it.name = v
		case "arguments":
			it.args = v
		case "input":
			it.input = v
		case "output":
			it.output = v
		}
		return true
	})
	return it
}

func (w *inputWriter) item(i int, item gjson.Result) {
	if !item.IsObject() {
		w.err = apierr.WrongType(itemParam(i, ""), "an object")
		return
	}
	it := readRespItem(item)
	switch typ := it.typ.Str; {
	case typ == "message" || (!it.typ.Exists() && it.role.Exists()):
		w.message(i, &it)
	case typ == "function_call":
		w.toolCall(i, &it, false)
	case typ == "custom_tool_call":
		w.toolCall(i, &it, true)
	case typ == "function_call_output" || typ == "custom_tool_call_output":
		w.toolOutput(i, &it)
	case typ == "reasoning":
		// Engines rebuild their own reasoning; it does not break up an assistant turn either.
	default:
		w.err = apierr.Unsupported(itemParam(i, "type"),
			"Input items of type %s are not supported. Send messages, function and custom tool calls and their outputs.",
			strconv.Quote(it.typ.String()))
	}
}

func (w *inputWriter) message(i int, it *respItem) {
	role := it.role.Str
	switch role {
	case "user", "assistant", "system":
	case "developer":
		if !w.c.developerRole {
			role = "system"
		}
	default:
		w.err = apierr.BadValue(itemParam(i, "role"),
			"Invalid value for 'input[%d].role': expected one of system, developer, user or assistant.", i)
		return
	}
	w.close()
	w.dst = appendSep(w.dst)
	w.dst = append(w.dst, `{"role":"`...)
	w.dst = append(w.dst, role...)
	w.dst = append(w.dst, `","content":`...)
	w.dst, w.err = appendInputContent(w.dst, it.content, i, "content")
	if role == "assistant" {
		w.open = openAssistant
		return
	}
	w.dst = append(w.dst, '}')
}

// toolCall adds a function_call or custom_tool_call item to the open assistant message.
func (w *inputWriter) toolCall(i int, it *respItem, custom bool) {
	if it.callID.Type != gjson.String {
		w.err = apierr.Missing(itemParam(i, "call_id"))
		return
	}
	switch w.open {
	case openNone:
		w.dst = appendSep(w.dst)
		w.dst = append(w.dst, `{"role":"assistant","content":null,"tool_calls":[`...)
	case openAssistant:
		w.dst = append(w.dst, `,"tool_calls":[`...)
	case openToolCalls:
		w.dst = append(w.dst, ',')
	}
	w.open = openToolCalls
	switch {
	case !custom:
		w.dst = append(w.dst, `{"id":`...)
		w.dst = appendRawString(w.dst, it.callID)
		w.dst = append(w.dst, `,"type":"function","function":{"name":`...)
		w.dst = appendStringOr(w.dst, it.name, `""`)
		w.dst = append(w.dst, `,"arguments":`...)
		w.dst = appendStringOr(w.dst, it.args, `"{}"`)
		w.dst = append(w.dst, `}}`...)
	case w.c.customTools:
		w.dst = append(w.dst, `{"id":`...)
		w.dst = appendRawString(w.dst, it.callID)
		w.dst = append(w.dst, `,"type":"custom","custom":{"name":`...)
		w.dst = appendStringOr(w.dst, it.name, `""`)
		w.dst = append(w.dst, `,"input":`...)
		w.dst = appendStringOr(w.dst, it.input, `""`)
		w.dst = append(w.dst, `}}`...)
	default:
		w.dst = appendFunctionCall(w.dst, it.callID, it.name, it.input)
	}
}

func (w *inputWriter) toolOutput(i int, it *respItem) {
	if it.callID.Type != gjson.String {
		w.err = apierr.Missing(itemParam(i, "call_id"))
		return
	}
	w.close()
	w.dst = appendSep(w.dst)
	w.dst = append(w.dst, `{"role":"tool","tool_call_id":`...)
	w.dst = appendRawString(w.dst, it.callID)
	w.dst = append(w.dst, `,"content":`...)
	if it.output.Type == gjson.String {
		w.dst = appendRawString(w.dst, it.output)
	} else {
		w.dst, w.err = appendInputContent(w.dst, it.output, i, "output")
	}
	w.dst = append(w.dst, '}')
}

// appendInputContent writes message content (a string, or text parts joined by newlines) as
// one chat string: every engine template takes a string, not all take parts.
func appendInputContent(dst []byte, content gjson.Result, i int, field string) ([]byte, *apierr.Error) {
	switch {
	case content.Type == gjson.String:
		return appendRawString(dst, content), nil
	case content.Type == gjson.Null || !content.Exists():
		return append(dst, `""`...), nil
	case !content.IsArray():
		return dst, apierr.WrongType(itemParam(i, field), "a string or an array of content parts")
	}
	var err *apierr.Error
	dst = append(dst, '"')
	j, n := 0, 0
	content.ForEach(func(_, p gjson.Result) bool {
		var text gjson.Result
		switch typ := p.Get("type").Str; typ {
		case "input_text", "output_text", "text", "summary_text", "reasoning_text":
			text = p.Get("text")
		case "refusal":
			text = p.Get("refusal")
		default:
			err = apierr.Unsupported(itemParam(i, field+"["+strconv.Itoa(j)+"].type"),
				"Content parts of type %s are not supported; only text input is.", strconv.Quote(typ))
			return false
		}
		if n > 0 {
			dst = append(dst, `\n`...)
		}
		if text.Type == gjson.String {
			dst = appendRawInterior(dst, text)
		}
		j++
		n++
		return true
	})
	if err != nil {
		return dst, err
	}
	return append(dst, '"'), nil
}

func itemParam(i int, field string) string {
	p := "input[" + strconv.Itoa(i) + "]"
	if field != "" {
		p += "." + field
	}
	return p
}
