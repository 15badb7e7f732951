package translate

// Chat surface ⇄ engine dialect. Requests keep the client's chat body and rewrite only what an
// engine would misread; replies are rebuilt from scratch so that nothing the matrix does not
// promise (system_fingerprint, timings, stop_reason, logprobs, extra choices) reaches a client.

import (
	"strconv"

	"github.com/tidwall/gjson"
	"github.com/tidwall/pretty"

	"sailshim/apierr"
)

// Effort modes: how reasoning_effort reaches an engine.
const (
	effortKeep          = iota // forward reasoning_effort as is
	effortTemplateKwarg        // chat_template_kwargs.reasoning_effort (templates such as gpt-oss read it)
	effortDrop                 // the engine has no control for it
)

// JSON-mode forms: how response_format reaches an engine.
const (
	formatOpenAI   = iota // OpenAI's response_format, forwarded as is
	formatLlamaCpp        // json_object is not enforced: send a permissive json_schema instead
	formatTGI             // TGI's grammar {"type":"json","value":<schema>}; no "text" variant
)

// dialectCaps is what one engine dialect understands of an OpenAI chat request. Data, not
// scattered ifs: every rewrite below reads it.
type dialectCaps struct {
	maxTokens     string // the name of the output token limit the engine reads
	developerRole bool   // its chat templates know the developer role
	customTools   bool   // it takes {"type":"custom"} tools, tool calls and tool_choice
	effort        int    // effort mode
	format        int    // JSON-mode form
	fillParams    bool   // give function tools without parameters an empty object schema
	namedChoice   bool   // it honours a tool_choice that names one tool
}

// The caps table.
//
//	dialect   max tokens             developer  custom  reasoning_effort      response_format
//	vllm      max_completion_tokens  → system   → fn    kept                  as is
//	sglang    max_completion_tokens  → system   → fn    kept                  as is
//	tgi       max_tokens             → system   → fn    dropped (no control)  {"type":"json","value":schema}; text dropped
//	llamacpp  max_tokens             → system   → fn    chat_template_kwargs  json_object → permissive json_schema
//	openai    max_completion_tokens  kept       kept    kept                  as is
//
// llama.cpp does not honour a tool_choice naming one tool (seen on a real llama-server: with two
// tools it called the other one), so for it a named choice becomes "required" over a tools list
// holding only the named tool — the same constraint, in a form its grammar enforces.
//
// "→ fn": custom tools become function tools with one string argument "input" (see
// customParams). TGI's response_format is a serde enum tagged "type" with content "value";
// "json" is the one spelling every release accepts ("json_object" and "json_schema" came
// later), and it rejects an OpenAI {"type":"text"}. TGI also requires function parameters,
// so every non-OpenAI dialect gets an empty object schema where a tool has none.
var dialectTable = [...]struct {
	d Dialect
	c dialectCaps
}{
	{VLLM, dialectCaps{"max_completion_tokens", false, false, effortKeep, formatOpenAI, true, true}},
	{SGLang, dialectCaps{"max_completion_tokens", false, false, effortKeep, formatOpenAI, true, true}},
	{TGI, dialectCaps{"max_tokens", false, false, effortDrop, formatTGI, true, true}},
	{LlamaCpp, dialectCaps{"max_tokens", false, false, effortTemplateKwarg, formatLlamaCpp, true, false}},
	{OpenAI, dialectCaps{"max_completion_tokens", true, true, effortKeep, formatOpenAI, false, true}},
}

func capsOf(d Dialect) (*dialectCaps, *apierr.Error) {
	for i := range dialectTable {
		if dialectTable[i].d == d {
			return &dialectTable[i].c, nil
		}
	}
	return nil, apierr.Internal("No request translation is configured for the engine dialect %q.", string(d))
}

// customParams is the parameter schema of a custom tool rewritten as a function tool.
const customParams = `{"type":"object","properties":{"input":{"type":"string"}},"required":["input"]}`

// permissiveObject is the schema that makes llama.cpp enforce JSON mode (and fills TGI's).
const permissiveObject = `{"type":"object"}`

// ChatRequest rewrites a validated client chat body for an engine of dialect d, appending to dst.
// It reads the body once, checking its syntax as it goes (see jsonscan.go): members, messages
// and tools that need no rewrite are copied as written, so a body that passed rules validation
// costs about one scan and a few copies. A body that is not one JSON object is an error, never
// bad JSON sent upstream.
func ChatRequest(dst, body []byte, d Dialect) ([]byte, *apierr.Error) {
	c, e := capsOf(d)
	if e != nil {
		return dst, e
	}
	w := chatReqWriter{dst: append(dst, '{'), c: c}
	if !c.namedChoice {
		w.only = namedChoice(body, "function.name", "custom.name")
	}
	sc := scanBody(viewString(body))
	for sc.next() {
		w.member(&sc)
	}
	if !bodyDone(&sc) {
		return dst, apierr.MalformedJSON()
	}
	w.dst = w.appendEffortKwarg(w.dst)
	return append(w.dst, '}'), nil
}

type chatReqWriter struct {
	dst       []byte
	c         *dialectCaps
	effort    tok    // reasoning_effort held back for chat_template_kwargs
	hasKwargs bool   // the body has its own chat_template_kwargs
	only      string // for engines without named tool choice: the one tool to keep
}

// namedChoice returns the tool a tool_choice object names (at the first path that holds a
// name), or "" when tool_choice is absent or a mode string.
func namedChoice(body []byte, paths ...string) string {
	tc := gjson.GetBytes(body, "tool_choice")
	if !tc.IsObject() {
		return ""
	}
	for _, p := range paths {
		if n := tc.Get(p); n.Type == gjson.String && n.Str != "" {
			return n.Str
		}
	}
	return ""
}

func (w *chatReqWriter) member(sc *scan) {
	switch k := sc.keyText(); k {
	case "metadata", "user", "store", "service_tier":
		// sailshim consumes these (windows, webhooks, storage); engines must not see them.
		sc.value()
	case "max_completion_tokens":
		w.dst = appendKey(w.dst, w.c.maxTokens)
		w.dst = append(w.dst, sc.value().raw...)
	case "messages":
		w.dst = appendKey(w.dst, "messages")
		w.messages(sc)
	case "tools":
		w.dst = appendKey(w.dst, "tools")
		w.tools(sc)
	case "tool_choice":
		w.dst = appendKey(w.dst, "tool_choice")
		if v := sc.value(); w.only != "" {
			w.dst = append(w.dst, `"required"`...)
		} else {
			w.dst = appendChatToolChoice(w.dst, v, w.c)
		}
	case "reasoning_effort":
		w.dst = appendEffort(w.dst, sc.value(), w.c, &w.effort)
	case "response_format":
		w.dst = appendResponseFormat(w.dst, sc.value(), w.c)
	default:
		w.hasKwargs = w.hasKwargs || k == "chat_template_kwargs"
		w.dst = appendSep(w.dst)
		w.dst = append(w.dst, sc.key...)
		w.dst = append(w.dst, ':')
		w.dst = append(w.dst, sc.value().raw...)
	}
}

// appendEffortKwarg writes a held-back reasoning effort as chat_template_kwargs, unless the
// client sent its own chat_template_kwargs (then theirs is what the template gets).
func (w *chatReqWriter) appendEffortKwarg(dst []byte) []byte {
	if !w.effort.isString() || w.hasKwargs {
		return dst
	}
	return appendEffortKwarg(dst, w.effort)
}

func appendEffortKwarg(dst []byte, effort tok) []byte {
	dst = appendKey(dst, "chat_template_kwargs")
	dst = append(dst, `{"reasoning_effort":`...)
	dst = appendStr(dst, effort)
	return append(dst, '}')
}

// appendEffort forwards reasoning_effort in the dialect's form. A kwarg-mode effort is stored
// in *held for the caller to write once the body's own members are known.
func appendEffort(dst []byte, v tok, c *dialectCaps, held *tok) []byte {
	if !v.isString() {
		return dst // null asks for nothing
	}
	switch c.effort {
	case effortKeep:
		dst = appendKey(dst, "reasoning_effort")
		return appendStr(dst, v)
	case effortTemplateKwarg:
		*held = v
	}
	return dst
}

// appendResponseFormat writes response_format (key included) in the dialect's form.
func appendResponseFormat(dst []byte, v tok, c *dialectCaps) []byte {
	typ := v.field("type")
	switch c.format {
	case formatLlamaCpp:
		if typ.is("json_object") {
			dst = appendKey(dst, "response_format")
			return append(dst, `{"type":"json_schema","json_schema":{"name":"json_object","schema":`+permissiveObject+`}}`...)
		}
	case formatTGI:
		switch {
		case typ.is("json_object"):
			dst = appendKey(dst, "response_format")
			return append(dst, `{"type":"json","value":`+permissiveObject+`}`...)
		case typ.is("json_schema"):
			schema := v.field("json_schema").field("schema")
			dst = appendKey(dst, "response_format")
			dst = append(dst, `{"type":"json","value":`...)
			if schema.isObject() {
				dst = append(dst, schema.raw...)
			} else {
				dst = append(dst, permissiveObject...)
			}
			return append(dst, '}')
		default:
			return dst // "text" (or null) is TGI's default and not a variant it parses
		}
	}
	if v.kind == tNull {
		return dst
	}
	dst = appendKey(dst, "response_format")
	return append(dst, v.raw...)
}

// messages copies the messages array, rewriting the few members an engine would misread:
// developer roles and custom tool calls in assistant history.
func (w *chatReqWriter) messages(sc *scan) {
	if sc.peek() != '[' || (w.c.developerRole && w.c.customTools) {
		w.dst = append(w.dst, sc.value().raw...)
		return
	}
	a := sc.sub()
	w.dst = append(w.dst, '[')
	for a.next() {
		w.dst = appendSep(w.dst)
		w.dst = appendChatMessage(w.dst, &a, w.c)
	}
	sc.resume(&a)
	w.dst = append(w.dst, ']')
}

// appendChatMessage copies the current element of a, a message, as written unless its role or
// tool calls need a rewrite. When the message opens with a role that decides alone (anything but
// assistant history for an engine without custom tools), the message is checked by the
// scanner's container loop and copied; otherwise one scan reads its role and tool calls while
// checking it.
func appendChatMessage(dst []byte, a *scan, c *dialectCaps) []byte {
	if a.peek() != '{' {
		return append(dst, a.value().raw...)
	}
	if role := leadingMember(a.s[a.at:], `"role"`); role.exists() && (c.customTools || !role.is("assistant")) {
		msg := a.value()
		if a.bad || !chatMessageNeedsRewrite(role, false, c) {
			return append(dst, msg.raw...)
		}
		return rewriteChatMessage(dst, msg.raw, c)
	}
	start := a.at
	m := a.sub()
	var role tok
	custom, sawCalls := false, false
	for m.next() {
		switch {
		case !role.exists() && m.keyIs("role"):
			role = m.value()
		case !sawCalls && m.keyIs("tool_calls"):
			sawCalls = true
			custom = scanForCustomCall(&m)
		default:
			m.value()
		}
	}
	a.resume(&m)
	raw := a.s[start:a.at]
	if a.bad || !chatMessageNeedsRewrite(role, custom, c) {
		return append(dst, raw...)
	}
	return rewriteChatMessage(dst, raw, c)
}

// scanForCustomCall consumes the current value, a message's tool calls, and reports whether
// one of them is a custom tool call.
func scanForCustomCall(m *scan) bool {
	if p := m.peek(); p != '[' && p != '{' {
		m.value()
		return false
	}
	custom := false
	calls := m.sub()
	for calls.next() {
		custom = calls.value().field("type").is("custom") || custom
	}
	m.resume(&calls)
	return custom
}

// chatMessageNeedsRewrite reports whether a message with this (first) role must be rebuilt: a
// developer message for an engine without the role, or assistant history holding a custom tool
// call (custom) for an engine without custom tools.
func chatMessageNeedsRewrite(role tok, custom bool, c *dialectCaps) bool {
	if role.is("developer") {
		return !c.developerRole
	}
	return role.is("assistant") && !c.customTools && custom
}

// rewriteChatMessage writes a message (raw, already scanned) with the developer role and custom
// tool calls rewritten for the engine.
func rewriteChatMessage(dst []byte, raw string, c *dialectCaps) []byte {
	dst = append(dst, '{')
	for m := openScan(raw, 0); m.next(); {
		switch k := m.keyText(); k {
		case "role":
			v := m.value()
			dst = appendKey(dst, "role")
			if v.is("developer") && !c.developerRole {
				dst = append(dst, `"system"`...)
			} else {
				dst = append(dst, v.raw...)
			}
		case "tool_calls":
			dst = appendKey(dst, "tool_calls")
			dst = appendHistoryToolCalls(dst, m.value(), c)
		default:
			dst = appendSep(dst)
			dst = append(dst, m.key...)
			dst = append(dst, ':')
			dst = append(dst, m.value().raw...)
		}
	}
	return append(dst, '}')
}

// appendHistoryToolCalls rewrites custom tool calls in assistant history as calls of the
// function tool that stands in for the custom tool.
func appendHistoryToolCalls(dst []byte, calls tok, c *dialectCaps) []byte {
	if !calls.isArray() {
		return append(dst, calls.raw...)
	}
	dst = append(dst, '[')
	for a := openScan(calls.raw, 0); a.next(); {
		tc := a.value()
		dst = appendSep(dst)
		if c.customTools || !tc.field("type").is("custom") {
			dst = append(dst, tc.raw...)
			continue
		}
		cu := tc.field("custom")
		dst = appendFunctionCall(dst, tc.field("id"), cu.field("name"), cu.field("input"))
	}
	return append(dst, ']')
}

// appendFunctionCall writes the function tool call a custom call becomes.
func appendFunctionCall(dst []byte, id, name, input tok) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendStrOr(dst, id, `""`)
	dst = append(dst, `,"type":"function","function":{"name":`...)
	dst = appendStrOr(dst, name, `""`)
	dst = append(dst, `,"arguments":`...)
	dst = appendInputArgsTok(dst, input)
	return append(dst, `}}`...)
}

// tools copies the tools array, turning custom tools into function tools where the engine has
// none and filling missing parameters where the engine requires them.
func (w *chatReqWriter) tools(sc *scan) {
	if sc.peek() != '[' || (w.c.customTools && !w.c.fillParams) {
		w.dst = append(w.dst, sc.value().raw...)
		return
	}
	a := sc.sub()
	w.dst = append(w.dst, '[')
	for a.next() {
		mark := len(w.dst)
		w.dst = appendSep(w.dst)
		w.dst = appendChatTool(w.dst, &a, w.c)
		if w.only != "" && gjson.GetBytes(w.dst[mark:], "function.name").Str != w.only {
			w.dst = w.dst[:mark] // not the named tool: the engine must not be offered it
		}
	}
	sc.resume(&a)
	w.dst = append(w.dst, ']')
}

// appendChatTool writes the current element of a, a tool. One scan reads its type, its
// definition and whether a function has parameters, and checks the tool's syntax.
func appendChatTool(dst []byte, a *scan, c *dialectCaps) []byte {
	if a.peek() != '{' {
		return append(dst, a.value().raw...)
	}
	start := a.at
	t := a.sub()
	var typ, fn, custom tok
	params := false // the function has an object "parameters"
	for t.next() {
		switch {
		case !typ.exists() && t.keyIs("type"):
			typ = t.value()
		case !fn.exists() && t.keyIs("function"):
			fn, params = scanFunctionDef(&t)
		case !custom.exists() && t.keyIs("custom"):
			custom = t.value()
		default:
			t.value()
		}
	}
	a.resume(&t)
	raw := a.s[start:a.at]
	switch {
	case a.bad:
	case typ.is("custom") && !c.customTools:
		return appendCustomAsFunction(dst, custom.field("name"), custom.field("description"), custom.field("format"))
	case typ.is("function") && c.fillParams && fn.isObject() && !params:
		dst = append(dst, `{"type":"function","function":`...)
		dst = appendWithParams(dst, fn)
		return append(dst, '}')
	}
	return append(dst, raw...)
}

// scanFunctionDef consumes the current value, a function definition, and reports whether its
// (first) parameters member is an object.
func scanFunctionDef(t *scan) (tok, bool) {
	if t.peek() != '{' {
		return t.value(), false
	}
	start := t.at
	f := t.sub()
	params, sawParams := false, false
	for f.next() {
		if !sawParams && f.keyIs("parameters") {
			sawParams = true
			params = f.peek() == '{'
		}
		f.value()
	}
	t.resume(&f)
	return tok{raw: t.s[start:t.at], kind: tObject}, params
}

// appendWithParams copies a function definition, replacing a missing or null parameters with
// an empty object schema.
func appendWithParams(dst []byte, fn tok) []byte {
	dst = append(dst, '{')
	for m := openScan(fn.raw, 0); m.next(); {
		v := m.value()
		if !m.keyIs("parameters") {
			dst = appendSep(dst)
			dst = append(dst, m.key...)
			dst = append(dst, ':')
			dst = append(dst, v.raw...)
		}
	}
	dst = appendKey(dst, "parameters")
	dst = append(dst, `{"type":"object","properties":{}}`...)
	return append(dst, '}')
}

// appendCustomAsFunction writes the function tool that stands in for a custom tool: one string
// argument "input", with the custom tool's description and input format in the description so
// the model knows what to put there.
func appendCustomAsFunction(dst []byte, name, desc, format tok) []byte {
	dst = append(dst, `{"type":"function","function":{"name":`...)
	dst = appendStrOr(dst, name, `""`)
	hasDesc := desc.isString() && len(desc.raw) > 2
	grammar := format.field("type").is("grammar")
	if hasDesc || grammar {
		dst = append(dst, `,"description":"`...)
		if hasDesc {
			dst = appendStrInterior(dst, desc)
		}
		if grammar {
			// Chat nests the grammar ({grammar:{syntax,definition}}); Responses does not.
			g := format.field("grammar")
			if !g.exists() {
				g = format
			}
			if hasDesc {
				dst = append(dst, `\n\n`...)
			}
			dst = append(dst, `Put the tool's raw input in the \"input\" argument. It must match this `...)
			dst = appendStrInterior(dst, g.field("syntax"))
			dst = append(dst, ` grammar:\n`...)
			dst = appendStrInterior(dst, g.field("definition"))
		}
		dst = append(dst, '"')
	}
	return append(dst, `,"parameters":`+customParams+`}}`...)
}

// appendChatToolChoice writes a chat tool_choice; a named custom tool becomes the named
// function that stands in for it.
func appendChatToolChoice(dst []byte, v tok, c *dialectCaps) []byte {
	if c.customTools || !v.field("type").is("custom") {
		return append(dst, v.raw...)
	}
	dst = append(dst, `{"type":"function","function":{"name":`...)
	dst = appendStrOr(dst, v.field("custom").field("name"), `""`)
	return append(dst, `}}`...)
}

// engineReply is the part of an engine's chat reply that any surface's answer is built from.
type engineReply struct {
	Content   gjson.Result // message.content: string, null, or (rarely) an array of text parts
	Reasoning gjson.Result // message.reasoning_content, or vLLM's newer message.reasoning
	Refusal   gjson.Result // message.refusal
	ToolCalls gjson.Result // message.tool_calls
	Finish    string       // choices[0].finish_reason
	Usage     engineUsage
}

// readEngineReply parses an engine's chat completion. engine must outlive the result.
func readEngineReply(engine []byte) (engineReply, *apierr.Error) {
	var r engineReply
	s := viewString(engine)
	if !gjson.Valid(s) {
		return r, badUpstream("The inference engine returned a reply that is not valid JSON.")
	}
	root := gjson.Parse(s)
	if !root.IsObject() {
		return r, badUpstream("The inference engine returned a reply that is not a JSON object.")
	}
	var choices gjson.Result
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "choices":
			choices = v
		case "usage":
			r.Usage = readEngineUsage(v)
		}
		return true
	})
	choice := firstChoice(choices)
	msg := choice.Get("message")
	if !msg.IsObject() {
		return r, badUpstream("The inference engine returned a reply without a message.")
	}
	r.Finish = choice.Get("finish_reason").Str
	msg.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "content":
			r.Content = v
		case "reasoning_content":
			if v.Type == gjson.String {
				r.Reasoning = v
			}
		case "reasoning":
			if v.Type == gjson.String && r.Reasoning.Type != gjson.String {
				r.Reasoning = v
			}
		case "refusal":
			r.Refusal = v
		case "tool_calls":
			if nonEmptyArray(v) {
				r.ToolCalls = v
			}
		}
		return true
	})
	return r, nil
}

// nonEmptyArray reports whether v is an array with at least one element (vLLM sends
// "tool_calls": [] on plain replies).
func nonEmptyArray(v gjson.Result) bool {
	if !v.IsArray() {
		return false
	}
	found := false
	v.ForEach(func(_, _ gjson.Result) bool {
		found = true
		return false
	})
	return found
}

// firstChoice is the choice with index 0, or the first one when none says so.
func firstChoice(choices gjson.Result) gjson.Result {
	var first, zero gjson.Result
	choices.ForEach(func(_, c gjson.Result) bool {
		if !first.Exists() {
			first = c
		}
		if idx := c.Get("index"); !idx.Exists() || idx.Int() == 0 {
			zero = c
			return false
		}
		return true
	})
	if zero.Exists() {
		return zero
	}
	return first
}

func badUpstream(msg string) *apierr.Error {
	return apierr.New(502, apierr.TypeServer, "", "upstream_invalid_response", "%s", msg)
}

// hasText reports whether content holds any text.
func hasText(content gjson.Result) bool {
	switch {
	case content.Type == gjson.String:
		return len(content.Raw) > 2
	case content.IsArray():
		found := false
		content.ForEach(func(_, p gjson.Result) bool {
			t := p.Get("text")
			found = t.Type == gjson.String && len(t.Raw) > 2
			return !found
		})
		return found
	}
	return false
}

// appendContentText writes content as one JSON string: a string as is, text parts joined.
func appendContentText(dst []byte, content gjson.Result) []byte {
	if content.Type == gjson.String {
		return appendRawString(dst, content)
	}
	dst = append(dst, '"')
	content.ForEach(func(_, p gjson.Result) bool {
		if t := p.Get("text"); t.Type == gjson.String {
			dst = appendRawInterior(dst, t)
		}
		return true
	})
	return append(dst, '"')
}

// customNames answers "is this name one of the request's custom tools?" without building a set:
// requests carry a handful of tools.
type customNames struct {
	tools gjson.Result // the request's tools array
	path  string       // where a custom tool keeps its name: "custom.name" (chat) or "name"
}

func (cn customNames) has(name string) bool {
	if name == "" || !cn.tools.IsArray() {
		return false
	}
	found := false
	cn.tools.ForEach(func(_, t gjson.Result) bool {
		found = t.Get("type").Str == "custom" && t.Get(cn.path).Str == name
		return !found
	})
	return found
}

// engineCall is one tool call from an engine reply, normalised.
type engineCall struct {
	ID     gjson.Result // the engine's id (kept as given); empty → derived
	Custom bool         // a call of a custom tool (native, or a function named like one)
	Name   gjson.Result
	Args   gjson.Result // function arguments: a string, or an object older TGI sends
	Input  gjson.Result // custom input when the engine sent a native custom call
}

func readEngineCall(tc gjson.Result, customs customNames) engineCall {
	ec := engineCall{ID: tc.Get("id")}
	if tc.Get("type").Str == "custom" {
		cu := tc.Get("custom")
		ec.Custom, ec.Name, ec.Input = true, cu.Get("name"), cu.Get("input")
		return ec
	}
	fn := tc.Get("function")
	ec.Name, ec.Args = fn.Get("name"), fn.Get("arguments")
	ec.Custom = ec.Name.Type == gjson.String && customs.has(ec.Name.Str)
	return ec
}

// appendID writes the call id the engine gave, or one derived from the reply id and index.
func (ec *engineCall) appendID(dst []byte, replyID string, i int) []byte {
	if ec.ID.Type == gjson.String && len(ec.ID.Raw) > 2 {
		return appendRawString(dst, ec.ID)
	}
	return appendDerivedID(dst, "call_", replyID, i)
}

// appendArguments writes function arguments as the JSON string OpenAI sends.
func (ec *engineCall) appendArguments(dst []byte) []byte {
	switch {
	case ec.Args.Type == gjson.String:
		return appendRawString(dst, ec.Args)
	case ec.Args.IsObject() || ec.Args.IsArray():
		// Older TGI sends arguments as an object; clients expect the JSON text of it.
		return appendJSONString(dst, viewString(pretty.Ugly([]byte(ec.Args.Raw))))
	}
	return append(dst, `"{}"`...)
}

// appendInput writes a custom call's input string. A custom tool that went to the engine as a
// function has its input in the arguments' "input"; arguments that are not such an object are
// taken whole, so nothing the model wrote is lost.
func (ec *engineCall) appendInput(dst []byte) []byte {
	if ec.Input.Exists() {
		return appendStringOr(dst, ec.Input, `""`)
	}
	var args string
	switch {
	case ec.Args.Type == gjson.String:
		args = ec.Args.Str
	case ec.Args.IsObject():
		args = viewString(pretty.Ugly([]byte(ec.Args.Raw)))
	default:
		return append(dst, `""`...)
	}
	if gjson.Valid(args) {
		if in := gjson.Get(args, "input"); in.Type == gjson.String {
			return appendRawString(dst, in)
		} else if in.Exists() {
			return appendJSONString(dst, in.Raw)
		}
	}
	return appendJSONString(dst, args)
}

// ChatResponse rewrites an engine's chat reply into what the matrix promises on the chat surface.
func ChatResponse(dst, engine, req []byte, d Dialect, m Meta) ([]byte, *apierr.Error) {
	if _, e := capsOf(d); e != nil {
		return dst, e
	}
	r, e := readEngineReply(engine)
	if e != nil {
		return dst, e
	}
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, m.ID)
	dst = append(dst, `,"object":"chat.completion","created":`...)
	dst = strconv.AppendInt(dst, m.CreatedAt, 10)
	dst = append(dst, `,"model":`...)
	dst = appendJSONString(dst, m.Model)
	dst = append(dst, `,"choices":[{"index":0,"message":`...)
	dst = appendChatMessage0(dst, &r, req, m)
	dst = append(dst, `,"logprobs":null,"finish_reason":`...)
	if r.ToolCalls.Exists() {
		dst = append(dst, `"tool_calls"`...)
	} else {
		dst = append(dst, `"stop"`...) // length and content_filter too: the matrix knows only these two
	}
	dst = append(dst, `}],"usage":`...)
	dst = r.Usage.appendChat(dst)
	return append(dst, '}'), nil
}

// appendChatMessage0 writes choices[0].message.
func appendChatMessage0(dst []byte, r *engineReply, req []byte, m Meta) []byte {
	dst = append(dst, `{"role":"assistant","content":`...)
	switch {
	case hasText(r.Content):
		dst = appendContentText(dst, r.Content)
	case r.ToolCalls.Exists() || r.Refusal.Type == gjson.String:
		dst = append(dst, "null"...)
	default:
		dst = append(dst, `""`...)
	}
	dst = append(dst, `,"refusal":`...)
	dst = appendStringOr(dst, r.Refusal, "null")
	if r.Reasoning.Type == gjson.String {
		dst = append(dst, `,"reasoning_content":`...)
		dst = appendRawString(dst, r.Reasoning)
	}
	if r.ToolCalls.Exists() {
		customs := customNames{tools: gjson.Get(viewString(req), "tools"), path: "custom.name"}
		dst = append(dst, `,"tool_calls":[`...)
		i := 0
		r.ToolCalls.ForEach(func(_, tc gjson.Result) bool {
			dst = appendSep(dst)
			dst = appendChatToolCall(dst, tc, customs, m.ID, i)
			i++
			return true
		})
		dst = append(dst, ']')
	}
	return append(dst, `,"annotations":[]}`...)
}

func appendChatToolCall(dst []byte, tc gjson.Result, customs customNames, replyID string, i int) []byte {
	ec := readEngineCall(tc, customs)
	dst = append(dst, `{"id":`...)
	dst = ec.appendID(dst, replyID, i)
	if ec.Custom {
		dst = append(dst, `,"type":"custom","custom":{"name":`...)
		dst = appendStringOr(dst, ec.Name, `""`)
		dst = append(dst, `,"input":`...)
		dst = ec.appendInput(dst)
		return append(dst, `}}`...)
	}
	dst = append(dst, `,"type":"function","function":{"name":`...)
	dst = appendStringOr(dst, ec.Name, `""`)
	dst = append(dst, `,"arguments":`...)
	dst = ec.appendArguments(dst)
	return append(dst, `}}`...)
}
