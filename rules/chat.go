package rules

import (
	"sailshim/apierr"
)

// The Chat Completions matrix (POST /v1/chat/completions): the support matrix's Chat section
// checked against OpenAI's CreateChatCompletionRequest.

func chatTable(e *enums, meta rule) table {
	return newTable(Chat, "Chat Completions API (POST /v1/chat/completions)", []rule{
		sup("model", "Required: the model to run, a non-empty string.").with(kModel).need(),
		con("messages", "Required: at least one message. Text only: roles and content part types below.").
			with(kChatMessages).need().sub(e.chatRoles, e.chatParts, e.chatCalls),
		sup("max_completion_tokens", "A positive integer: the cap on generated tokens.").with(kMaxTokens),
		sup("temperature", "A number from 0 to 2.").rng(0, 2),
		sup("top_p", "A number from 0 to 1.").rng(0, 1),
		sup("user", "A string identifying the end user.").with(kString),
		meta,
		sup("response_format", `{"type": "text"}, {"type": "json_object"}, or {"type": "json_schema", "json_schema": {name, schema, description, strict}}.`).
			with(kResponseFormat).sub(e.chatFormats),
		con("reasoning_effort", `"low", "medium" or "high"; "none", "minimal", "xhigh" and "max" are rejected.`).
			enum([]string{"low", "medium", "high"}, []string{"none", "minimal", "xhigh", "max"}),
		sup("tools", `Function tools {"type": "function", "function": {name, description, parameters, strict}} and custom tools {"type": "custom", "custom": {name, description, format}}.`).
			with(kChatTools).sub(e.chatTools),
		con("tool_choice", `"none", "auto", "required", {"type": "function", "function": {name}} or {"type": "custom", "custom": {name}}; allowed_tools is rejected.`).
			with(kChatToolChoice).sub(e.chatModes, e.chatChoices),
		sup("parallel_tool_calls", "A boolean, passed through to the engine.").with(kBool),

		rej("stream", "stream: true is not supported; all responses are returned as a single JSON object. Omit stream or set it to false.", "false"),
		rej("stream_options", "stream_options is only valid with stream: true, which is not supported. Omit stream_options."),
		rej("n", "Multiple choices are not supported: n must be 1.", "1"),
		rej("frequency_penalty", "frequency_penalty is not supported; omit it (0 is accepted).", "0"),
		rej("presence_penalty", "presence_penalty is not supported; omit it (0 is accepted).", "0"),
		rej("logit_bias", "logit_bias is not supported; omit it.", "{}"),
		rej("stop", "Stop sequences are not supported; omit stop.", "[]"),
		rej("seed", "seed is not supported; omit it."),
		rej("logprobs", "logprobs is not supported (responses always carry logprobs: null); omit it or set it to false.", "false"),
		rej("top_logprobs", "top_logprobs is not supported; omit it or set it to 0.", "0"),
		rej("audio", "Audio output is not supported; Sail is text only. Omit audio."),
		rej("modalities", `Audio output is not supported; Sail is text only. modalities may only be ["text"].`).with(kModalities),
		rej("prediction", "Predicted outputs are not supported; omit prediction."),
		rej("web_search_options", "Web search is not supported; omit web_search_options."),
		rej("service_tier", `Only service_tier "auto" is accepted.`, `"auto"`),
		rej("store", "store: false is not supported: Sail always stores responses. Omit store or set it to true.", "true"),
		rej("max_tokens", "max_tokens is deprecated and not supported; use max_completion_tokens."),
		rej("functions", `functions is deprecated and not supported; use tools with "type": "function".`, "[]"),
		rej("function_call", "function_call is deprecated and not supported; use tool_choice."),
		rej("verbosity", "verbosity is not supported; omit it."),
		rej("prompt_cache_key", "prompt_cache_key is not supported; omit it."),
		rej("safety_identifier", "safety_identifier is not supported; omit it (user is accepted)."),
		rej("prompt_cache_retention", "Prompt caching controls are not supported; omit prompt_cache_retention."),
		rej("prompt_cache_options", "Prompt caching controls are not supported; omit prompt_cache_options.", "{}"),
		rej("moderation", "Moderation is not supported; omit moderation."),
	})
}

func chatEnums(e *enums) {
	text := "content: a string or an array of text parts; optional name."
	e.chatRoles = newEnum("messages[].role", false, []rule{
		sup("system", text),
		sup("developer", text),
		con("user", "content: a string or an array of text parts (multimodal parts are rejected); optional name."),
		sup("assistant", "content: a string, text and refusal parts, or null when tool_calls or function_call is given; optional refusal, name, tool_calls, function_call; audio must be null."),
		sup("tool", "content: a string or an array of text parts; tool_call_id is required."),
		sup("function", "Deprecated, accepted: content a string or null; name is required."),
	})
	e.chatParts = newEnum("messages[].content[].type", false, []rule{
		sup("text", `{"type": "text", "text"}.`),
		con("refusal", `{"type": "refusal", "refusal"}, in assistant messages only.`),
		rej("image_url", "image_url content parts are not supported; Sail is text only. Send text parts."),
		rej("input_audio", "input_audio content parts are not supported; Sail is text only. Send text parts."),
		rej("file", "file content parts are not supported; Sail is text only. Send text parts."),
	})
	e.chatCalls = newEnum("messages[].tool_calls[].type", false, []rule{
		sup("function", `{"id", "type": "function", "function": {name, arguments}}.`),
		sup("custom", `{"id", "type": "custom", "custom": {name, input}}.`),
	})
	e.chatFormats = newEnum("response_format.type", false, []rule{
		sup("text", "Plain text."),
		sup("json_object", "JSON mode."),
		sup("json_schema", "Structured output: json_schema.name and json_schema.schema are required."),
	})
	e.chatTools = newEnum("tools[].type", false, []rule{
		sup("function", "function.name is required; description, parameters (an object) and strict are optional."),
		sup("custom", `custom.name is required; description and format ({"type": "text"} or {"type": "grammar", …}) are optional.`),
	})
	e.chatModes = newEnum("tool_choice", false, []rule{
		sup("none", "The model calls no tool."),
		sup("auto", "The model decides."),
		sup("required", "The model calls at least one tool."),
	})
	e.chatChoices = newEnum("tool_choice.type", false, []rule{
		sup("function", `{"type": "function", "function": {"name"}} forces that function.`),
		sup("custom", `{"type": "custom", "custom": {"name"}} forces that custom tool.`),
		rej("allowed_tools", `tool_choice type "allowed_tools" is not supported; pass only the allowed tools in tools and use "auto" or "required".`),
	})
}

// Members of a chat message.
var chatMessageFields = []string{"role", "content", "name", "tool_calls", "function_call", "tool_call_id", "refusal", "audio"}

const (
	cmRole = iota
	cmContent
	cmName
	cmToolCalls
	cmFunctionCall
	cmToolCallID
	cmRefusal
	cmAudio
)

// Members each role may carry.
const (
	cmPlain     = 1<<cmRole | 1<<cmContent | 1<<cmName
	cmAssistant = cmPlain | 1<<cmToolCalls | 1<<cmFunctionCall | 1<<cmRefusal | 1<<cmAudio
	cmTool      = 1<<cmRole | 1<<cmContent | 1<<cmToolCallID
)

func (w *walker) chatMessages(v val) *apierr.Error {
	if !isArray(v) {
		return apierr.WrongType("messages", "an array of messages")
	}
	p := root("messages")
	c := w.each(v)
	for c.next() {
		if err := w.chatMessage(p.index(c.Idx), c.Val); err != nil {
			return err
		}
	}
	if c.n == 0 {
		return apierr.BadValue("messages", "'messages' must contain at least one message.")
	}
	return nil
}

func (w *walker) chatMessage(p at, v val) *apierr.Error {
	if !isObject(v) {
		return apierr.WrongType(p.String(), "an object")
	}
	var f fields
	if err := f.collect(w, p, v, chatMessageFields); err != nil {
		return err
	}
	if !f.given(cmRole) {
		return apierr.Missing(p.dot("role").String())
	}
	r, err := w.v.enums.chatRoles.pick(p.dot("role"), p.dot("role"), f.val(cmRole))
	if err != nil {
		return err
	}
	role := r.key
	allowed := uint32(cmPlain)
	switch role {
	case "assistant":
		allowed = cmAssistant
	case "tool":
		allowed = cmTool
	}
	if err := f.only(p, allowed, chatMessageFields); err != nil {
		return err
	}
	calls := f.given(cmFunctionCall) || (f.given(cmToolCalls) && isArray(f.val(cmToolCalls)) && !isEmpty(f.val(cmToolCalls)))
	switch {
	case role == "assistant" && !calls && !f.given(cmContent):
		return apierr.Missing(p.dot("content").String())
	case role == "function" && !f.has(cmContent), role != "assistant" && role != "function" && !f.given(cmContent):
		return apierr.Missing(p.dot("content").String())
	}
	if f.has(cmContent) {
		if err := w.chatContent(p.dot("content"), role, f.val(cmContent)); err != nil {
			return err
		}
	}
	if role == "function" {
		if err := requireString(&f, cmName, p, "name"); err != nil {
			return err
		}
	} else if err := optString(&f, cmName, p, "name"); err != nil {
		return err
	}
	switch role {
	case "tool":
		return requireString(&f, cmToolCallID, p, "tool_call_id")
	case "assistant":
		if err := optString(&f, cmRefusal, p, "refusal"); err != nil {
			return err
		}
		if err := neutral(&f, cmAudio, p, "audio", "Audio is not supported; Sail is text only. Send assistant audio turns as text content."); err != nil {
			return err
		}
		if f.given(cmToolCalls) {
			if err := w.chatToolCalls(p.dot("tool_calls"), f.val(cmToolCalls)); err != nil {
				return err
			}
		}
		if f.given(cmFunctionCall) {
			return w.nameAnd(p.dot("function_call"), f.val(cmFunctionCall), "arguments")
		}
	}
	return nil
}

// Members of a chat content part.
var chatPartFields = []string{"type", "text", "refusal", "prompt_cache_breakpoint"}

const (
	cpType = iota
	cpText
	cpRefusal
	cpCache
)

func (w *walker) chatContent(p at, role string, v val) *apierr.Error {
	switch {
	case isString(v):
		return nil
	case isNull(v) && (role == "assistant" || role == "function"):
		return nil
	case role == "function":
		return apierr.WrongType(p.String(), "a string or null")
	case !isArray(v):
		return apierr.WrongType(p.String(), "a string or an array of content parts")
	}
	for c := w.each(v); c.next(); {
		pj := p.index(c.Idx)
		if !isObject(c.Val) {
			return apierr.WrongType(pj.String(), "an object")
		}
		var f fields
		if err := f.collect(w, pj, c.Val, chatPartFields); err != nil {
			return err
		}
		if !f.given(cpType) {
			return apierr.Missing(pj.dot("type").String())
		}
		r, err := w.v.enums.chatParts.pick(pj.dot("type"), pj.dot("type"), f.val(cpType))
		if err != nil {
			return err
		}
		switch r.key {
		case "text":
			if err := f.only(pj, 1<<cpType|1<<cpText|1<<cpCache, chatPartFields); err != nil {
				return err
			}
			if err := requireString(&f, cpText, pj, "text"); err != nil {
				return err
			}
			if err := neutral(&f, cpCache, pj, "prompt_cache_breakpoint", "Prompt caching controls are not supported; remove prompt_cache_breakpoint."); err != nil {
				return err
			}
		case "refusal":
			if role != "assistant" {
				return apierr.BadValue(pj.dot("type").String(), "refusal content parts are only valid in assistant messages.")
			}
			if err := f.only(pj, 1<<cpType|1<<cpRefusal, chatPartFields); err != nil {
				return err
			}
			if err := requireString(&f, cpRefusal, pj, "refusal"); err != nil {
				return err
			}
		}
	}
	return nil
}

// Members of an assistant tool call.
var chatCallFields = []string{"id", "type", "function", "custom"}

const (
	ccID = iota
	ccType
	ccFunction
	ccCustom
)

func (w *walker) chatToolCalls(p at, v val) *apierr.Error {
	if !isArray(v) {
		return apierr.WrongType(p.String(), "an array of tool calls")
	}
	for c := w.each(v); c.next(); {
		pj := p.index(c.Idx)
		if !isObject(c.Val) {
			return apierr.WrongType(pj.String(), "an object")
		}
		var f fields
		if err := f.collect(w, pj, c.Val, chatCallFields); err != nil {
			return err
		}
		if err := requireString(&f, ccID, pj, "id"); err != nil {
			return err
		}
		if !f.given(ccType) {
			return apierr.Missing(pj.dot("type").String())
		}
		r, err := w.v.enums.chatCalls.pick(pj.dot("type"), pj.dot("type"), f.val(ccType))
		if err != nil {
			return err
		}
		if r.key == "function" {
			if err := f.only(pj, 1<<ccID|1<<ccType|1<<ccFunction, chatCallFields); err != nil {
				return err
			}
			if !f.given(ccFunction) {
				return apierr.Missing(pj.dot("function").String())
			}
			if err := w.nameAnd(pj.dot("function"), f.val(ccFunction), "arguments"); err != nil {
				return err
			}
			continue
		}
		if err := f.only(pj, 1<<ccID|1<<ccType|1<<ccCustom, chatCallFields); err != nil {
			return err
		}
		if !f.given(ccCustom) {
			return apierr.Missing(pj.dot("custom").String())
		}
		if err := w.nameAnd(pj.dot("custom"), f.val(ccCustom), "input"); err != nil {
			return err
		}
	}
	return nil
}

// nameAnd checks an object holding exactly a string "name" and the string member other
// (a function call's arguments, a custom call's input).
func (w *walker) nameAnd(p at, v val, other string) *apierr.Error {
	if !isObject(v) {
		return apierr.WrongType(p.String(), "an object")
	}
	names := [2]string{"name", other}
	var f fields
	if err := f.collect(w, p, v, names[:]); err != nil {
		return err
	}
	if err := f.only(p, 1<<0|1<<1, names[:]); err != nil {
		return err
	}
	if err := requireString(&f, 0, p, "name"); err != nil {
		return err
	}
	return requireString(&f, 1, p, other)
}

// Members of a chat tool, and of its function and custom objects.
var (
	chatToolFields     = []string{"type", "function", "custom"}
	chatFunctionFields = []string{"name", "description", "parameters", "strict"}
	chatCustomFields   = []string{"name", "description", "format"}
)

func (w *walker) chatTools(v val) *apierr.Error {
	if isNull(v) {
		return nil
	}
	if !isArray(v) {
		return apierr.WrongType("tools", "an array of tools")
	}
	for c := w.each(v); c.next(); {
		pj := root("tools").index(c.Idx)
		if !isObject(c.Val) {
			return apierr.WrongType(pj.String(), "an object")
		}
		var f fields
		if err := f.collect(w, pj, c.Val, chatToolFields); err != nil {
			return err
		}
		if !f.given(0) {
			return apierr.Missing(pj.dot("type").String())
		}
		r, err := w.v.enums.chatTools.pick(pj.dot("type"), pj.dot("type"), f.val(0))
		if err != nil {
			return err
		}
		b, names := 1, chatFunctionFields
		if r.key == "custom" {
			b, names = 2, chatCustomFields
		}
		if err := f.only(pj, 1<<0|1<<b, chatToolFields); err != nil {
			return err
		}
		if !f.given(b) {
			return apierr.Missing(pj.dot(r.key).String())
		}
		if err := w.toolDef(pj.dot(r.key), f.val(b), names); err != nil {
			return err
		}
	}
	return nil
}

// toolDef checks a tool definition whose members are names: name (required), description, and
// then parameters+strict (function) or format (custom).
func (w *walker) toolDef(p at, v val, names []string) *apierr.Error {
	if !isObject(v) {
		return apierr.WrongType(p.String(), "an object")
	}
	var f fields
	if err := f.collect(w, p, v, names); err != nil {
		return err
	}
	if err := f.only(p, 1<<len(names)-1, names); err != nil {
		return err
	}
	if err := requireString(&f, 0, p, "name"); err != nil {
		return err
	}
	if err := optString(&f, 1, p, "description"); err != nil {
		return err
	}
	if names[2] == "format" {
		return w.customFormat(p.dot("format"), f.val(2))
	}
	if err := optObject(&f, 2, p, "parameters"); err != nil {
		return err
	}
	return optBool(&f, 3, p, "strict")
}

// customFormat checks a custom tool's input format: absent, null, or an object whose type is
// "text" or "grammar". The grammar itself is the engine's to judge.
func (w *walker) customFormat(p at, v val) *apierr.Error {
	if !exists(v) || isNull(v) {
		return nil
	}
	if !isObject(v) {
		return apierr.WrongType(p.String(), "an object")
	}
	t := w.member(v, "type")
	if !exists(t) {
		return apierr.Missing(p.dot("type").String())
	}
	return oneOf(p.dot("type"), t, []string{"text", "grammar"}, nil)
}

// Members of an object tool_choice.
var chatChoiceFields = []string{"type", "function", "custom"}

func (w *walker) chatToolChoice(v val) *apierr.Error {
	p := root("tool_choice")
	switch {
	case isNull(v):
		return nil
	case isString(v):
		_, err := w.v.enums.chatModes.pick(p, p, v)
		return err
	case !isObject(v):
		return apierr.WrongType("tool_choice", `"none", "auto", "required" or an object naming a tool`)
	}
	var f fields
	if err := f.collect(w, p, v, chatChoiceFields); err != nil {
		return err
	}
	if !f.given(0) {
		return apierr.Missing("tool_choice.type")
	}
	r, err := w.v.enums.chatChoices.pick(p.dot("type"), p.dot("type"), f.val(0))
	if err != nil {
		return err
	}
	b := 1
	if r.key == "custom" {
		b = 2
	}
	if err := f.only(p, 1<<0|1<<b, chatChoiceFields); err != nil {
		return err
	}
	if !f.given(b) {
		return apierr.Missing(p.dot(r.key).String())
	}
	names := [1]string{"name"}
	pb := p.dot(r.key)
	if !isObject(f.val(b)) {
		return apierr.WrongType(pb.String(), "an object")
	}
	var g fields
	if err := g.collect(w, pb, f.val(b), names[:]); err != nil {
		return err
	}
	if err := g.only(pb, 1, names[:]); err != nil {
		return err
	}
	return requireString(&g, 0, pb, "name")
}

// Members of response_format and of its json_schema object.
var (
	formatFields     = []string{"type", "json_schema"}
	jsonSchemaFields = []string{"name", "schema", "description", "strict"}
)

func (w *walker) responseFormat(v val) *apierr.Error {
	p := root("response_format")
	if isNull(v) {
		return nil
	}
	if !isObject(v) {
		return apierr.WrongType("response_format", "an object")
	}
	var f fields
	if err := f.collect(w, p, v, formatFields); err != nil {
		return err
	}
	if !f.given(0) {
		return apierr.Missing("response_format.type")
	}
	r, err := w.v.enums.chatFormats.pick(p.dot("type"), p.dot("type"), f.val(0))
	if err != nil {
		return err
	}
	if r.key != "json_schema" {
		return f.only(p, 1<<0, formatFields)
	}
	if !f.given(1) {
		return apierr.Missing("response_format.json_schema")
	}
	return w.jsonSchema(p.dot("json_schema"), f.val(1))
}

// jsonSchema checks a structured-output definition: name and schema required, description and
// strict optional.
func (w *walker) jsonSchema(p at, v val) *apierr.Error {
	if !isObject(v) {
		return apierr.WrongType(p.String(), "an object")
	}
	var f fields
	if err := f.collect(w, p, v, jsonSchemaFields); err != nil {
		return err
	}
	return schemaMembers(&f, p)
}

// schemaMembers checks name, schema, description and strict at bits 0–3 of f.
func schemaMembers(f *fields, p at) *apierr.Error {
	if err := f.only(p, 1<<4-1, jsonSchemaFields); err != nil {
		return err
	}
	if err := requireString(f, 0, p, "name"); err != nil {
		return err
	}
	if !f.given(1) {
		return apierr.Missing(p.dot("schema").String())
	}
	if !isObject(f.val(1)) {
		return apierr.WrongType(p.dot("schema").String(), "an object (a JSON Schema)")
	}
	if err := optString(f, 2, p, "description"); err != nil {
		return err
	}
	return optBool(f, 3, p, "strict")
}

func (w *walker) modalities(r *rule, v val) *apierr.Error {
	if isNull(v) {
		return nil
	}
	if !isArray(v) {
		return apierr.WrongType("modalities", "an array of strings")
	}
	for c := w.each(v); c.next(); {
		p := root("modalities").index(c.Idx)
		if !isString(c.Val) {
			return apierr.WrongType(p.String(), "a string")
		}
		switch text(c.Val) {
		case "text":
		case "audio":
			return apierr.Unsupported("modalities", "%s", r.Text)
		default:
			return apierr.BadValue(p.String(), `Invalid value %q for 'modalities'. Supported values are: "text".`, text(c.Val))
		}
	}
	return nil
}
