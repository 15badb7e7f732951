package rules

import (
	"sailshim/apierr"
)

// The Responses matrix (POST /v1/responses, Sail's stable surface): the support matrix's
// Responses section checked against OpenAI's CreateResponse.

func responsesTable(e *enums, meta rule) table {
	return newTable(Responses, "Responses API (POST /v1/responses)", []rule{
		sup("model", "Required: the model to run, a non-empty string.").with(kModel).need(),
		con("input", "Required: a string, or a non-empty array of items. Text only: item and content types below.").
			with(kInput).need().sub(e.respItems, e.respRoles, e.respParts, e.respOutput),
		sup("max_output_tokens", "A positive integer: the cap on generated tokens.").with(kMaxTokens),
		sup("temperature", "A number from 0 to 2.").rng(0, 2),
		sup("top_p", "A number from 0 to 1.").rng(0, 1),
		sup("user", "A string identifying the end user.").with(kString),
		meta,
		con("text", `text.format: {"type": "text"} or {"type": "json_schema", name, schema, description, strict}; text.verbosity is rejected.`).
			with(kText).sub(e.respFormats),
		con("reasoning", `reasoning.effort: "low", "medium" or "high"; reasoning.summary and reasoning.generate_summary: "auto", "concise" or "detailed"; reasoning.mode and reasoning.context are rejected.`).
			with(kReasoning),
		con("tools", "Function and custom tools only; server-side tools are rejected (tool types below).").
			with(kRespTools).sub(e.respTools),
		con("tool_choice", `"none", "auto", "required", {"type": "function", "name"} or {"type": "custom", "name"}; other forms are rejected.`).
			with(kRespToolChoice).sub(e.respModes, e.respChoices),
		sup("background", "A boolean; true returns 202 at once with a queued response to poll with GET /v1/responses/{id}.").with(kBackground),
		con("include", "An array of strings, accepted for compatibility; the values below are rejected.").
			with(kInclude).sub(e.respInclude),

		rej("truncation", `Only truncation "disabled" is accepted; truncation strategies are not supported.`, `"disabled"`),
		rej("store", "store: false is not supported: Sail always stores responses. Omit store or set it to true.", "true"),
		rej("stream", "stream: true is not supported; all responses are returned as a single JSON object. Use background: true and poll, or a webhook, for long requests.", "false"),
		rej("stream_options", "stream_options is only valid with stream: true, which is not supported. Omit stream_options."),
		rej("service_tier", `Only service_tier "auto" is accepted.`, `"auto"`),
		rej("instructions", "instructions is not supported; include system messages directly in input.", `""`),
		rej("previous_response_id", "previous_response_id is not supported; send the full conversation in input on every request."),
		rej("conversation", "conversation is not supported; send the full conversation in input on every request."),
		rej("prompt", "Prompt templates are not supported; omit prompt."),
		rej("parallel_tool_calls", "parallel_tool_calls is not supported; omit it or set it to false.", "false"),
		rej("top_logprobs", "top_logprobs is not supported; omit it or set it to 0.", "0"),
		rej("max_tool_calls", "max_tool_calls is not supported (it limits server-side tools, which Sail does not run); omit it."),
		rej("prompt_cache_key", "prompt_cache_key is not supported; omit it."),
		rej("safety_identifier", "safety_identifier is not supported; omit it (user is accepted)."),
		rej("prompt_cache_retention", "Prompt caching controls are not supported; omit prompt_cache_retention."),
		rej("prompt_cache_options", "Prompt caching controls are not supported; omit prompt_cache_options.", "{}"),
		rej("moderation", "Moderation is not supported; omit moderation."),
		rej("context_management", "context_management is not supported; send the context you want in input.", "[]"),
	})
}

func responsesEnums(e *enums) {
	serverItem := func(t string) rule {
		return rej(t, t+" items are not supported: Sail runs no server-side tools. Send function_call and function_call_output items instead.")
	}
	e.respItems = newEnum("input[].type", false, []rule{
		sup("message", `A message: role and content (a string or content parts). "type" may be omitted.`),
		sup("function_call", "An earlier call: call_id, name and arguments (strings)."),
		sup("function_call_output", "The result of a call: call_id, and output a string or input_text parts."),
		sup("custom_tool_call", "An earlier custom tool call: call_id, name and input (strings)."),
		sup("custom_tool_call_output", "The result of a custom call: call_id, and output a string or input_text parts."),
		sup("reasoning", "Reasoning items from earlier responses are accepted."),
		rej("item_reference", "item_reference items are not supported: Sail does not look up earlier items. Send the items themselves."),
		serverItem("file_search_call"),
		serverItem("web_search_call"),
		serverItem("computer_call"),
		serverItem("computer_call_output"),
		serverItem("code_interpreter_call"),
		serverItem("image_generation_call"),
		serverItem("local_shell_call"),
		serverItem("local_shell_call_output"),
		serverItem("shell_call"),
		serverItem("shell_call_output"),
		serverItem("apply_patch_call"),
		serverItem("apply_patch_call_output"),
		serverItem("mcp_list_tools"),
		serverItem("mcp_approval_request"),
		serverItem("mcp_approval_response"),
		serverItem("mcp_call"),
		serverItem("tool_search_call"),
		serverItem("tool_search_output"),
		serverItem("additional_tools"),
		serverItem("program"),
		serverItem("program_output"),
		rej("compaction", "compaction items are not supported; send the conversation itself."),
		rej("compaction_trigger", "compaction_trigger items are not supported; send the conversation itself."),
	})
	e.respRoles = newEnum("input[].role", false, []rule{
		sup("user", "A user message."),
		sup("assistant", "An earlier model reply (output_text and refusal parts)."),
		sup("system", "System instructions."),
		sup("developer", "Developer instructions."),
	})
	e.respParts = newEnum("input[].content[].type", false, []rule{
		sup("input_text", `{"type": "input_text", "text"}.`),
		sup("output_text", `{"type": "output_text", "text", "annotations", "logprobs"}, from earlier replies.`),
		sup("refusal", `{"type": "refusal", "refusal"}, from earlier replies.`),
		rej("input_image", "Image input is not supported; Sail is text only. Send input_text parts."),
		rej("input_file", "File input is not supported; Sail is text only. Send input_text parts."),
		rej("input_audio", "Audio input is not supported; Sail is text only. Send input_text parts."),
	})
	e.respOutput = newEnum("input[].output[].type", false, []rule{
		sup("input_text", `{"type": "input_text", "text"}.`),
		rej("input_image", "Image tool output is not supported; Sail is text only. Return the output as a string or input_text parts."),
		rej("input_file", "File tool output is not supported; Sail is text only. Return the output as a string or input_text parts."),
	})
	serverTool := func(t string) rule {
		return rej(t, "Server-side tools are not supported: tools of type "+t+` are rejected. Use "function" or "custom" tools and run them yourself.`)
	}
	e.respTools = newEnum("tools[].type", false, []rule{
		sup("function", "name is required; description, parameters (an object or null) and strict are optional."),
		sup("custom", `name is required; description and format ({"type": "text"} or {"type": "grammar", …}) are optional.`),
		serverTool("web_search"),
		serverTool("web_search_2025_08_26"),
		serverTool("web_search_preview"),
		serverTool("web_search_preview_2025_03_11"),
		serverTool("file_search"),
		serverTool("code_interpreter"),
		serverTool("computer"),
		serverTool("computer_use"),
		serverTool("computer_use_preview"),
		serverTool("mcp"),
		serverTool("image_generation"),
		serverTool("shell"),
		serverTool("local_shell"),
		serverTool("apply_patch"),
		serverTool("tool_search"),
		serverTool("namespace"),
		serverTool("programmatic_tool_calling"),
	})
	e.respModes = newEnum("tool_choice", false, []rule{
		sup("none", "The model calls no tool."),
		sup("auto", "The model decides."),
		sup("required", "The model calls at least one tool."),
	})
	hosted := func(t string) rule {
		return rej(t, `tool_choice type "`+t+`" is not supported: Sail runs no server-side tools. Use "function" or "custom".`)
	}
	e.respChoices = newEnum("tool_choice.type", false, []rule{
		sup("function", `{"type": "function", "name"} forces that function.`),
		sup("custom", `{"type": "custom", "name"} forces that custom tool.`),
		rej("allowed_tools", `tool_choice type "allowed_tools" is not supported; pass only the allowed tools in tools and use "auto" or "required".`),
		hosted("file_search"),
		hosted("web_search_preview"),
		hosted("web_search_preview_2025_03_11"),
		hosted("computer"),
		hosted("computer_use"),
		hosted("computer_use_preview"),
		hosted("image_generation"),
		hosted("code_interpreter"),
		hosted("mcp"),
		hosted("apply_patch"),
		hosted("shell"),
		hosted("programmatic_tool_calling"),
	})
	e.respFormats = newEnum("text.format.type", false, []rule{
		sup("text", "Plain text."),
		sup("json_schema", "Structured output: name and schema are required; description and strict are optional."),
		rej("json_object", `text.format.type "json_object" is not supported; use "json_schema".`),
	})
	incl := func(v, what string) rule {
		return rej(v, `include value "`+v+`" is not supported: `+what)
	}
	e.respInclude = newEnum("include[]", true, []rule{
		incl("reasoning.encrypted_content", "Sail returns no encrypted reasoning. Remove it from include."),
		incl("web_search_call.action.sources", "Sail runs no web search. Remove it from include."),
		incl("code_interpreter_call.outputs", "Sail runs no code interpreter. Remove it from include."),
		incl("computer_call_output.output.image_url", "Sail runs no computer use. Remove it from include."),
		incl("file_search_call.results", "Sail runs no file search. Remove it from include."),
		incl("message.input_image.image_url", "Sail takes no image input. Remove it from include."),
		incl("message.output_text.logprobs", "Sail returns no logprobs. Remove it from include."),
	})
}

func (w *walker) input(v val) *apierr.Error {
	if isString(v) {
		return nil
	}
	if !isArray(v) {
		return apierr.WrongType("input", "a string or an array of input items")
	}
	c := w.each(v)
	for c.next() {
		if err := w.inputItem(root("input").index(c.Idx), c.Val); err != nil {
			return err
		}
	}
	if c.n == 0 {
		return apierr.BadValue("input", "'input' must be a string or contain at least one item.")
	}
	return nil
}

// Members of an input item, across all the item types sailshim accepts.
var itemFields = []string{"type", "role", "content", "id", "status", "phase", "call_id", "name",
	"arguments", "output", "input", "namespace", "caller", "summary", "encrypted_content"}

const (
	iType = iota
	iRole
	iContent
	iID
	iStatus
	iPhase
	iCallID
	iName
	iArguments
	iOutput
	iInput
	iNamespace
	iCaller
	iSummary
	iEncrypted
)

// Members each item type may carry.
const (
	iMessage    = 1<<iType | 1<<iRole | 1<<iContent | 1<<iID | 1<<iStatus | 1<<iPhase
	iCall       = 1<<iType | 1<<iID | 1<<iStatus | 1<<iCallID | 1<<iName | 1<<iArguments | 1<<iNamespace | 1<<iCaller
	iCallOutput = 1<<iType | 1<<iID | 1<<iStatus | 1<<iCallID | 1<<iName | 1<<iOutput | 1<<iNamespace | 1<<iCaller
	iCustom     = 1<<iType | 1<<iID | 1<<iStatus | 1<<iCallID | 1<<iName | 1<<iInput | 1<<iNamespace | 1<<iCaller
	iCustomOut  = 1<<iType | 1<<iID | 1<<iStatus | 1<<iCallID | 1<<iOutput | 1<<iCaller
	iReasoning  = 1<<iType | 1<<iID | 1<<iStatus | 1<<iContent | 1<<iSummary | 1<<iEncrypted
)

func (w *walker) inputItem(p at, v val) *apierr.Error {
	if !isObject(v) {
		return apierr.WrongType(p.String(), "an object")
	}
	var f fields
	if err := f.collect(w, p, v, itemFields); err != nil {
		return err
	}
	typ := "message" // an item without a type is a message (EasyInputMessage)
	if f.given(iType) {
		r, err := w.v.enums.respItems.pick(p.dot("type"), p.dot("type"), f.val(iType))
		if err != nil {
			return err
		}
		typ = r.key
	} else if !f.has(iRole) {
		return apierr.Missing(p.dot("type").String())
	}
	switch typ {
	case "message":
		return w.inputMessage(p, &f)
	case "function_call", "custom_tool_call":
		allowed, other := uint32(iCall), iArguments
		if typ == "custom_tool_call" {
			allowed, other = iCustom, iInput
		}
		if err := f.only(p, allowed, itemFields); err != nil {
			return err
		}
		if err := requireString(&f, other, p, itemFields[other]); err != nil {
			return err
		}
		if err := requireString(&f, iName, p, "name"); err != nil {
			return err
		}
		return callCommon(&f, p)
	case "function_call_output", "custom_tool_call_output":
		allowed := uint32(iCallOutput)
		if typ == "custom_tool_call_output" {
			allowed = iCustomOut
		}
		if err := f.only(p, allowed, itemFields); err != nil {
			return err
		}
		if !f.given(iOutput) {
			return apierr.Missing(p.dot("output").String())
		}
		if err := w.toolOutput(p.dot("output"), f.val(iOutput)); err != nil {
			return err
		}
		if err := optString(&f, iName, p, "name"); err != nil {
			return err
		}
		return callCommon(&f, p)
	}
	// reasoning: carried over from an earlier response; its members are OpenAI's own.
	return f.only(p, iReasoning, itemFields)
}

// callCommon checks what tool calls and their outputs share: call_id (required), id, status,
// and the namespace and caller members of tool search and programmatic calling, which Sail lacks.
func callCommon(f *fields, p at) *apierr.Error {
	if err := requireString(f, iCallID, p, "call_id"); err != nil {
		return err
	}
	if err := optString(f, iID, p, "id"); err != nil {
		return err
	}
	if err := optString(f, iStatus, p, "status"); err != nil {
		return err
	}
	if err := neutral(f, iNamespace, p, "namespace", "Tool namespaces are not supported; omit namespace."); err != nil {
		return err
	}
	return neutral(f, iCaller, p, "caller", "Programmatic tool calling is not supported; omit caller.")
}

func (w *walker) inputMessage(p at, f *fields) *apierr.Error {
	if err := f.only(p, iMessage, itemFields); err != nil {
		return err
	}
	if !f.given(iRole) {
		return apierr.Missing(p.dot("role").String())
	}
	if _, err := w.v.enums.respRoles.pick(p.dot("role"), p.dot("role"), f.val(iRole)); err != nil {
		return err
	}
	if !f.given(iContent) {
		return apierr.Missing(p.dot("content").String())
	}
	if err := optString(f, iID, p, "id"); err != nil {
		return err
	}
	if err := optString(f, iStatus, p, "status"); err != nil {
		return err
	}
	if err := optString(f, iPhase, p, "phase"); err != nil {
		return err
	}
	content := f.val(iContent)
	pc := p.dot("content")
	if isString(content) {
		return nil
	}
	if !isArray(content) {
		return apierr.WrongType(pc.String(), "a string or an array of content parts")
	}
	for c := w.each(content); c.next(); {
		if err := w.inputPart(pc.index(c.Idx), c.Val); err != nil {
			return err
		}
	}
	return nil
}

// Members of an input content part (and of a tool output part).
var partFields = []string{"type", "text", "annotations", "logprobs", "refusal", "prompt_cache_breakpoint"}

const (
	ptType = iota
	ptText
	ptAnnotations
	ptLogprobs
	ptRefusal
	ptCache
)

func (w *walker) inputPart(p at, v val) *apierr.Error {
	if !isObject(v) {
		return apierr.WrongType(p.String(), "an object")
	}
	var f fields
	if err := f.collect(w, p, v, partFields); err != nil {
		return err
	}
	if !f.given(ptType) {
		return apierr.Missing(p.dot("type").String())
	}
	r, err := w.v.enums.respParts.pick(p.dot("type"), p, f.val(ptType))
	if err != nil {
		return err
	}
	switch r.key {
	case "refusal":
		if err := f.only(p, 1<<ptType|1<<ptRefusal, partFields); err != nil {
			return err
		}
		return requireString(&f, ptRefusal, p, "refusal")
	case "output_text":
		// annotations and logprobs come back from earlier replies; they are context, not requests.
		if err := f.only(p, 1<<ptType|1<<ptText|1<<ptAnnotations|1<<ptLogprobs, partFields); err != nil {
			return err
		}
		if f.given(ptAnnotations) && !isArray(f.val(ptAnnotations)) {
			return apierr.WrongType(p.dot("annotations").String(), "an array")
		}
		if f.given(ptLogprobs) && !isArray(f.val(ptLogprobs)) {
			return apierr.WrongType(p.dot("logprobs").String(), "an array")
		}
		return requireString(&f, ptText, p, "text")
	}
	if err := f.only(p, 1<<ptType|1<<ptText|1<<ptCache, partFields); err != nil {
		return err
	}
	if err := requireString(&f, ptText, p, "text"); err != nil {
		return err
	}
	return neutral(&f, ptCache, p, "prompt_cache_breakpoint", "Prompt caching controls are not supported; remove prompt_cache_breakpoint.")
}

// toolOutput checks the output of a function or custom tool call: a string, or an array of
// input_text parts.
func (w *walker) toolOutput(p at, v val) *apierr.Error {
	if isString(v) {
		return nil
	}
	if !isArray(v) {
		return apierr.WrongType(p.String(), "a string or an array of input_text parts")
	}
	for c := w.each(v); c.next(); {
		pj := p.index(c.Idx)
		if !isObject(c.Val) {
			return apierr.WrongType(pj.String(), "an object")
		}
		var f fields
		if err := f.collect(w, pj, c.Val, partFields); err != nil {
			return err
		}
		if !f.given(ptType) {
			return apierr.Missing(pj.dot("type").String())
		}
		if _, err := w.v.enums.respOutput.pick(pj.dot("type"), pj, f.val(ptType)); err != nil {
			return err
		}
		if err := f.only(pj, 1<<ptType|1<<ptText|1<<ptCache, partFields); err != nil {
			return err
		}
		if err := requireString(&f, ptText, pj, "text"); err != nil {
			return err
		}
		if err := neutral(&f, ptCache, pj, "prompt_cache_breakpoint", "Prompt caching controls are not supported; remove prompt_cache_breakpoint."); err != nil {
			return err
		}
	}
	return nil
}

// Members of a Responses tool.
var respToolFields = []string{"type", "name", "description", "parameters", "strict", "format",
	"defer_loading", "allowed_callers", "output_schema"}

const (
	rtType = iota
	rtName
	rtDescription
	rtParameters
	rtStrict
	rtFormat
	rtDefer
	rtCallers
	rtOutputSchema
)

func (w *walker) respTools(v val) *apierr.Error {
	if isNull(v) {
		return nil
	}
	if !isArray(v) {
		return apierr.WrongType("tools", "an array of tools")
	}
	for c := w.each(v); c.next(); {
		p := root("tools").index(c.Idx)
		if !isObject(c.Val) {
			return apierr.WrongType(p.String(), "an object")
		}
		var f fields
		if err := f.collect(w, p, c.Val, respToolFields); err != nil {
			return err
		}
		if !f.given(rtType) {
			return apierr.Missing(p.dot("type").String())
		}
		r, err := w.v.enums.respTools.pick(p.dot("type"), p.dot("type"), f.val(rtType))
		if err != nil {
			return err
		}
		allowed := uint32(1<<rtType | 1<<rtName | 1<<rtDescription | 1<<rtDefer | 1<<rtCallers)
		if r.key == "function" {
			allowed |= 1<<rtParameters | 1<<rtStrict | 1<<rtOutputSchema
		} else {
			allowed |= 1 << rtFormat
		}
		if err := f.only(p, allowed, respToolFields); err != nil {
			return err
		}
		if err := requireString(&f, rtName, p, "name"); err != nil {
			return err
		}
		if err := optString(&f, rtDescription, p, "description"); err != nil {
			return err
		}
		if err := optObject(&f, rtParameters, p, "parameters"); err != nil {
			return err
		}
		if err := optBool(&f, rtStrict, p, "strict"); err != nil {
			return err
		}
		if err := w.customFormat(p.dot("format"), f.val(rtFormat)); err != nil {
			return err
		}
		if err := neutral(&f, rtDefer, p, "defer_loading", "Tool search is not supported; omit defer_loading.", "false"); err != nil {
			return err
		}
		if err := neutral(&f, rtCallers, p, "allowed_callers", "Programmatic tool calling is not supported; omit allowed_callers."); err != nil {
			return err
		}
		if err := neutral(&f, rtOutputSchema, p, "output_schema", "Function output schemas are not supported; omit output_schema."); err != nil {
			return err
		}
	}
	return nil
}

// Members of an object tool_choice.
var respChoiceFields = []string{"type", "name"}

func (w *walker) respToolChoice(v val) *apierr.Error {
	p := root("tool_choice")
	switch {
	case isNull(v):
		return nil
	case isString(v):
		_, err := w.v.enums.respModes.pick(p, p, v)
		return err
	case !isObject(v):
		return apierr.WrongType("tool_choice", `"none", "auto", "required" or an object naming a tool`)
	}
	var f fields
	if err := f.collect(w, p, v, respChoiceFields); err != nil {
		return err
	}
	if !f.given(0) {
		return apierr.Missing("tool_choice.type")
	}
	if _, err := w.v.enums.respChoices.pick(p.dot("type"), p.dot("type"), f.val(0)); err != nil {
		return err
	}
	if err := f.only(p, 1<<0|1<<1, respChoiceFields); err != nil {
		return err
	}
	return requireString(&f, 1, p, "name")
}

// Members of text, and of text.format (type plus the json_schema members).
var (
	textFields       = []string{"format", "verbosity"}
	textFormatFields = []string{"name", "schema", "description", "strict", "type"}
)

func (w *walker) respText(v val) *apierr.Error {
	format, pf, err := w.formatHolder("text", v, textFields, "text.verbosity is not supported; omit it.")
	if err != nil || !exists(format) {
		return err
	}
	var g fields
	if err := g.collect(w, pf, format, textFormatFields); err != nil {
		return err
	}
	if !g.given(4) {
		return apierr.Missing("text.format.type")
	}
	r, err := w.v.enums.respFormats.pick(pf.dot("type"), pf.dot("type"), g.val(4))
	if err != nil {
		return err
	}
	if r.key == "text" {
		return g.only(pf, 1<<4, textFormatFields)
	}
	if err := g.only(pf, 1<<5-1, textFormatFields); err != nil {
		return err
	}
	g.present &^= 1 << 4 // schemaMembers knows name, schema, description, strict
	return schemaMembers(&g, pf)
}

// Members of reasoning.
var reasoningFields = []string{"effort", "summary", "generate_summary", "mode", "context"}

func (w *walker) reasoning(v val) *apierr.Error {
	p := root("reasoning")
	if isNull(v) {
		return nil
	}
	if !isObject(v) {
		return apierr.WrongType("reasoning", "an object")
	}
	var f fields
	if err := f.collect(w, p, v, reasoningFields); err != nil {
		return err
	}
	if err := f.only(p, 1<<5-1, reasoningFields); err != nil {
		return err
	}
	if f.has(0) {
		if err := oneOf(p.dot("effort"), f.val(0), []string{"low", "medium", "high"}, []string{"none", "minimal", "xhigh", "max"}); err != nil {
			return err
		}
	}
	for _, b := range [2]int{1, 2} {
		if f.has(b) {
			if err := oneOf(p.dot(reasoningFields[b]), f.val(b), []string{"auto", "concise", "detailed"}, nil); err != nil {
				return err
			}
		}
	}
	if err := neutral(&f, 3, p, "mode", "reasoning.mode is not supported; omit it."); err != nil {
		return err
	}
	return neutral(&f, 4, p, "context", "reasoning.context is not supported; omit it.")
}

func (w *walker) include(v val) *apierr.Error {
	if isNull(v) {
		return nil
	}
	if !isArray(v) {
		return apierr.WrongType("include", "an array of strings")
	}
	for c := w.each(v); c.next(); {
		p := root("include").index(c.Idx)
		if _, err := w.v.enums.respInclude.pick(p, p, c.Val); err != nil {
			return err
		}
	}
	return nil
}
