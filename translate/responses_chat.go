package translate

// Responses API request → engine chat request. One scan over the body writes the chat body
// directly, checking the body's syntax as it goes (see jsonscan.go) and applying the same dialect
// rules (caps table) as ChatRequest.

import (
	"strconv"

	"github.com/tidwall/gjson"

	"sailshim/apierr"
)

// ResponsesRequest turns a validated /v1/responses body into a chat body for dialect d.
//
// Forwarded: model, input (as messages), max_output_tokens, temperature, top_p, text.format,
// reasoning.effort, tools, tool_choice, parallel_tool_calls. Everything else (metadata,
// background, include, truncation, store, user, service_tier, …) is sailshim's business.
func ResponsesRequest(dst, body []byte, d Dialect) ([]byte, *apierr.Error) {
	c, e := capsOf(d)
	if e != nil {
		return dst, e
	}
	s := viewString(body)
	w := respReqWriter{dst: append(dst, '{'), c: c}
	if !c.namedChoice {
		w.only = namedChoice(body, "name")
	}
	sc := scanBody(s)
	for w.err == nil && sc.next() {
		w.member(&sc)
	}
	switch {
	case w.err != nil:
		// The scan stopped early: malformed JSON anywhere still takes precedence.
		if !validBody(s) {
			return dst, apierr.MalformedJSON()
		}
		return dst, w.err
	case !bodyDone(&sc):
		return dst, apierr.MalformedJSON()
	}
	if w.effort.isString() {
		w.dst = appendEffortKwarg(w.dst, w.effort)
	}
	return append(w.dst, '}'), nil
}

type respReqWriter struct {
	dst    []byte
	c      *dialectCaps
	effort tok
	err    *apierr.Error
	only   string // for engines without named tool choice: the one tool to keep
}

func (w *respReqWriter) member(sc *scan) {
	switch sc.keyText() {
	case "model", "temperature", "top_p", "parallel_tool_calls":
		if v := sc.value(); v.kind != tNull {
			w.dst = appendSep(w.dst)
			w.dst = append(w.dst, sc.key...)
			w.dst = append(w.dst, ':')
			w.dst = append(w.dst, v.raw...)
		}
	case "max_output_tokens":
		if v := sc.value(); v.kind == tNumber {
			w.dst = appendKey(w.dst, w.c.maxTokens)
			w.dst = append(w.dst, v.raw...)
		}
	case "input":
		w.dst = appendKey(w.dst, "messages")
		w.input(sc)
	case "text":
		if f := sc.value().field("format"); f.isObject() {
			w.dst = appendTextFormat(w.dst, f, w.c)
		}
	case "reasoning":
		w.dst = appendEffort(w.dst, sc.value().field("effort"), w.c, &w.effort)
	case "tools":
		if sc.peek() != '[' {
			sc.value()
			break
		}
		w.dst = appendKey(w.dst, "tools")
		w.tools(sc)
	case "tool_choice":
		if v := sc.value(); v.kind != tNull {
			w.dst = appendKey(w.dst, "tool_choice")
			if w.only != "" {
				w.dst = append(w.dst, `"required"`...)
			} else {
				w.dst = appendResponsesToolChoice(w.dst, v, w.c)
			}
		}
	default:
		sc.value()
	}
}

// textFormat is text.format's members, read in one pass (the first of each, as gjson reads).
type textFormat struct {
	typ, name, desc, schema, strict tok
}

func readTextFormat(f tok) textFormat {
	var tf textFormat
	for m := openScan(f.raw, 0); m.next(); {
		v := m.value()
		var slot *tok
		switch m.keyText() {
		case "type":
			slot = &tf.typ
		case "name":
			slot = &tf.name
		case "description":
			slot = &tf.desc
		case "schema":
			slot = &tf.schema
		case "strict":
			slot = &tf.strict
		default:
			continue
		}
		if !slot.exists() {
			*slot = v
		}
	}
	return tf
}

// appendTextFormat writes text.format as the dialect's response_format.
func appendTextFormat(dst []byte, f tok, c *dialectCaps) []byte {
	tf := readTextFormat(f)
	switch {
	case tf.typ.is("json_schema"):
		if c.format == formatTGI {
			dst = appendKey(dst, "response_format")
			dst = append(dst, `{"type":"json","value":`...)
			dst = appendObjectOrTok(dst, tf.schema, permissiveObject)
			return append(dst, '}')
		}
		dst = appendKey(dst, "response_format")
		dst = append(dst, `{"type":"json_schema","json_schema":{"name":`...)
		dst = appendStrOr(dst, tf.name, `"response"`)
		if tf.desc.isString() {
			dst = append(dst, `,"description":`...)
			dst = appendStr(dst, tf.desc)
		}
		dst = append(dst, `,"schema":`...)
		dst = appendObjectOrTok(dst, tf.schema, permissiveObject)
		if tf.strict.isBool() {
			dst = append(dst, `,"strict":`...)
			dst = append(dst, tf.strict.raw...)
		}
		return append(dst, `}}`...)
	case tf.typ.is("json_object"):
		// The matrix rejects it on Responses; if it gets here, it means what chat's does.
		return appendResponseFormat(dst, tok{raw: `{"type":"json_object"}`, kind: tObject}, c)
	}
	return dst // "text" is every engine's default
}

func appendObjectOr(dst []byte, v gjson.Result, def string) []byte {
	if v.IsObject() {
		return append(dst, v.Raw...)
	}
	return append(dst, def...)
}

func appendObjectOrTok(dst []byte, v tok, def string) []byte {
	if v.isObject() {
		return append(dst, v.raw...)
	}
	return append(dst, def...)
}

// respTool is a Responses tool's members, read in one pass (the last of each).
type respTool struct {
	typ, name, desc, params, strict, format tok
}

// readRespTool consumes the current element of a, an object, reading its members in one pass.
func readRespTool(a *scan) respTool {
	var rt respTool
	m := a.sub()
	defer a.resume(&m)
	for m.next() {
		v := m.value()
		switch m.keyText() {
		case "type":
			rt.typ = v
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
	}
	return rt
}

// tools writes Responses tools ({type, name, …} flat) as chat tools.
func (w *respReqWriter) tools(sc *scan) {
	w.dst = append(w.dst, '[')
	a := sc.sub()
	for a.next() {
		if a.peek() != '{' {
			a.value()
			continue
		}
		rt := readRespTool(&a)
		if w.only != "" && !rt.name.is(w.only) {
			continue // not the named tool: the engine must not be offered it
		}
		switch {
		case rt.typ.is("function"):
			w.dst = appendSep(w.dst)
			w.dst = appendFunctionTool(w.dst, &rt, w.c)
		case rt.typ.is("custom"):
			w.dst = appendSep(w.dst)
			if w.c.customTools {
				w.dst = appendNativeCustomTool(w.dst, &rt)
			} else {
				w.dst = appendCustomAsFunction(w.dst, rt.name, rt.desc, rt.format)
			}
		}
		// Other tool types are server-side tools the matrix rejects before translation.
	}
	sc.resume(&a)
	w.dst = append(w.dst, ']')
}

func appendFunctionTool(dst []byte, rt *respTool, c *dialectCaps) []byte {
	dst = append(dst, `{"type":"function","function":{"name":`...)
	dst = appendStrOr(dst, rt.name, `""`)
	if rt.desc.isString() {
		dst = append(dst, `,"description":`...)
		dst = appendStr(dst, rt.desc)
	}
	if rt.params.isObject() {
		dst = append(dst, `,"parameters":`...)
		dst = append(dst, rt.params.raw...)
	} else if c.fillParams {
		dst = append(dst, `,"parameters":{"type":"object","properties":{}}`...)
	}
	if rt.strict.isBool() {
		dst = append(dst, `,"strict":`...)
		dst = append(dst, rt.strict.raw...)
	}
	return append(dst, `}}`...)
}

// appendNativeCustomTool writes a Responses custom tool in chat's nested form.
func appendNativeCustomTool(dst []byte, rt *respTool) []byte {
	dst = append(dst, `{"type":"custom","custom":{"name":`...)
	dst = appendStrOr(dst, rt.name, `""`)
	if rt.desc.isString() {
		dst = append(dst, `,"description":`...)
		dst = appendStr(dst, rt.desc)
	}
	if f := rt.format; f.isObject() {
		dst = append(dst, `,"format":`...)
		if f.field("type").is("grammar") {
			dst = append(dst, `{"type":"grammar","grammar":{"syntax":`...)
			dst = appendStrOr(dst, f.field("syntax"), `"lark"`)
			dst = append(dst, `,"definition":`...)
			dst = appendStrOr(dst, f.field("definition"), `""`)
			dst = append(dst, `}}`...)
		} else {
			dst = append(dst, `{"type":"text"}`...)
		}
	}
	return append(dst, `}}`...)
}

// appendResponsesToolChoice maps tool_choice: modes pass; {type:function,name} nests the name;
// {type:custom,name} nests it too, as the stand-in function where the engine has no custom tools.
func appendResponsesToolChoice(dst []byte, v tok, c *dialectCaps) []byte {
	if !v.isObject() {
		return append(dst, v.raw...)
	}
	switch typ := v.field("type"); {
	case typ.is("function") || (typ.is("custom") && !c.customTools):
		dst = append(dst, `{"type":"function","function":{"name":`...)
	case typ.is("custom"):
		dst = append(dst, `{"type":"custom","custom":{"name":`...)
	default:
		return append(dst, v.raw...)
	}
	dst = appendStrOr(dst, v.field("name"), `""`)
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

// input writes input (a string or an item array) as a chat messages array.
func (w *respReqWriter) input(sc *scan) {
	switch sc.peek() {
	case '"':
		w.dst = append(w.dst, `[{"role":"user","content":`...)
		w.dst = appendStr(w.dst, sc.value())
		w.dst = append(w.dst, `}]`...)
		return
	case '[':
	default:
		sc.value()
		w.err = apierr.WrongType("input", "a string or an array of input items")
		return
	}
	iw := inputWriter{dst: append(w.dst, '['), c: w.c}
	a := sc.sub()
	for iw.err == nil && a.next() {
		iw.item(a.n-1, &a)
	}
	if iw.err != nil {
		w.err = iw.err
		return
	}
	sc.resume(&a)
	iw.close()
	w.dst = append(iw.dst, ']')
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

// respItem is an input item's members, read in one pass (the last of each).
type respItem struct {
	typ, role                                  tok
	content, callID, name, args, input, output tok
}

// readRespItem consumes the current element of a, an object, reading its members in one pass.
func readRespItem(a *scan) respItem {
	var it respItem
	m := a.sub()
	defer a.resume(&m)
	for m.next() {
		v := m.value()
		switch m.keyText() {
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
	}
	return it
}

// item writes input item i, the current element of a.
func (w *inputWriter) item(i int, a *scan) {
	if a.peek() != '{' {
		if a.value().exists() {
			w.err = apierr.WrongType(itemParam(i, ""), "an object")
		}
		return
	}
	it := readRespItem(a)
	if a.bad {
		return
	}
	switch typ := it.typ; {
	case typ.is("message") || (!typ.exists() && it.role.exists()):
		w.message(i, &it)
	case typ.is("function_call"):
		w.toolCall(i, &it, false)
	case typ.is("custom_tool_call"):
		w.toolCall(i, &it, true)
	case typ.is("function_call_output") || typ.is("custom_tool_call_output"):
		w.toolOutput(i, &it)
	case typ.is("reasoning"):
		// Engines rebuild their own reasoning; it does not break up an assistant turn either.
	default:
		w.err = apierr.Unsupported(itemParam(i, "type"),
			"Input items of type %s are not supported. Send messages, function and custom tool calls and their outputs.",
			strconv.Quote(it.typ.result().String()))
	}
}

func (w *inputWriter) message(i int, it *respItem) {
	var role string
	switch r := it.role; {
	case r.is("user"), r.is("assistant"), r.is("system"):
		role = r.text()
	case r.is("developer"):
		role = "developer"
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
	if !it.callID.isString() {
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
		w.dst = appendStr(w.dst, it.callID)
		w.dst = append(w.dst, `,"type":"function","function":{"name":`...)
		w.dst = appendStrOr(w.dst, it.name, `""`)
		w.dst = append(w.dst, `,"arguments":`...)
		w.dst = appendStrOr(w.dst, it.args, `"{}"`)
		w.dst = append(w.dst, `}}`...)
	case w.c.customTools:
		w.dst = append(w.dst, `{"id":`...)
		w.dst = appendStr(w.dst, it.callID)
		w.dst = append(w.dst, `,"type":"custom","custom":{"name":`...)
		w.dst = appendStrOr(w.dst, it.name, `""`)
		w.dst = append(w.dst, `,"input":`...)
		w.dst = appendStrOr(w.dst, it.input, `""`)
		w.dst = append(w.dst, `}}`...)
	default:
		w.dst = appendFunctionCall(w.dst, it.callID, it.name, it.input)
	}
}

func (w *inputWriter) toolOutput(i int, it *respItem) {
	if !it.callID.isString() {
		w.err = apierr.Missing(itemParam(i, "call_id"))
		return
	}
	w.close()
	w.dst = appendSep(w.dst)
	w.dst = append(w.dst, `{"role":"tool","tool_call_id":`...)
	w.dst = appendStr(w.dst, it.callID)
	w.dst = append(w.dst, `,"content":`...)
	if it.output.isString() {
		w.dst = appendStr(w.dst, it.output)
	} else {
		w.dst, w.err = appendInputContent(w.dst, it.output, i, "output")
	}
	w.dst = append(w.dst, '}')
}

// appendInputContent writes message content (a string, or text parts joined by newlines) as
// one chat string: every engine template takes a string, not all take parts.
func appendInputContent(dst []byte, content tok, i int, field string) ([]byte, *apierr.Error) {
	switch {
	case content.isString():
		return appendStr(dst, content), nil
	case content.kind == tNull || !content.exists():
		return append(dst, `""`...), nil
	case !content.isArray():
		return dst, apierr.WrongType(itemParam(i, field), "a string or an array of content parts")
	}
	dst = append(dst, '"')
	j := 0
	for a := openScan(content.raw, 0); a.next(); j++ {
		typ, text := readPart(&a)
		switch {
		case typ.is("input_text"), typ.is("output_text"), typ.is("text"), typ.is("summary_text"), typ.is("reasoning_text"):
		case typ.is("refusal"):
		default:
			return dst, apierr.Unsupported(itemParam(i, field+"["+strconv.Itoa(j)+"].type"),
				"Content parts of type %s are not supported; only text input is.", strconv.Quote(typ.text()))
		}
		if j > 0 {
			dst = append(dst, `\n`...)
		}
		dst = appendStrInterior(dst, text)
	}
	return append(dst, '"'), nil
}

// readPart reads a content part's type and, in one pass, the member holding its text: "text",
// or "refusal" for a refusal part (the first of each, as gjson reads).
func readPart(a *scan) (typ, text tok) {
	if a.peek() != '{' {
		a.value()
		return tok{}, tok{}
	}
	var txt, refusal tok
	m := a.sub()
	defer a.resume(&m)
	for m.next() {
		v := m.value()
		switch {
		case !typ.exists() && m.keyIs("type"):
			typ = v
		case !txt.exists() && m.keyIs("text"):
			txt = v
		case !refusal.exists() && m.keyIs("refusal"):
			refusal = v
		}
	}
	if typ.is("refusal") {
		return typ, refusal
	}
	return typ, txt
}

func itemParam(i int, field string) string {
	p := "input[" + strconv.Itoa(i) + "]"
	if field != "" {
		p += "." + field
	}
	return p
}
