package rules

import (
	"sailshim/apierr"
)

// The Messages matrix (POST /v1/messages, Anthropic's shape): the support matrix's Messages
// section checked against the Anthropic SDK's MessageNewParams.

func messagesTable(e *enums, meta rule) table {
	return newTable(Messages, "Anthropic Messages API (POST /v1/messages)", []rule{
		sup("model", "Required: the model to run, a non-empty string.").with(kModel).need(),
		sup("max_tokens", "Required: a positive integer, the cap on generated tokens.").with(kMaxTokens).need(),
		con("messages", `Required: at least one message with role "user" or "assistant"; content a string or text blocks (block types below).`).
			with(kMsgMessages).need().sub(e.msgRoles, e.msgBlocks),
		sup("temperature", "A number from 0 to 1.").rng(0, 1),
		sup("top_p", "A number from 0 to 1.").rng(0, 1),
		con("output_config", `output_config.format: {"type": "json_schema", "schema"}; output_config.effort is rejected.`).with(kOutputConfig),
		meta,

		rej("stream", "stream: true is not supported; all responses are returned as a single JSON object. Omit stream or set it to false.", "false"),
		rej("store", "store: false is not supported: Sail always stores responses. Omit store or set it to true.", "true"),
		rej("system", "The system parameter is not supported; put instructions in the first user message.", `""`, "[]"),
		rej("thinking", `Extended thinking is not supported; omit thinking or set it to {"type": "disabled"}.`).with(kThinking),
		rej("tools", "Tools are not supported on the Messages API; omit tools (Chat Completions and Responses support function tools).", "[]"),
		rej("tool_choice", "tool_choice is not supported on the Messages API; omit it."),
		rej("stop_sequences", "stop_sequences is not supported; omit it.", "[]"),
		rej("top_k", "top_k is not supported; omit it (temperature and top_p are supported)."),
		rej("service_tier", "service_tier is not supported on the Messages API; omit it."),
		rej("inference_geo", "inference_geo is not supported; omit it."),
		rej("container", "Containers are not supported; omit container."),
		rej("mcp_servers", "MCP servers are not supported; omit mcp_servers.", "[]"),
		rej("context_management", "context_management is not supported; omit it."),
		rej("speed", `speed is not supported; omit it (or set it to "standard").`, `"standard"`),
		rej("cache_control", "Prompt caching (cache_control) is not supported; omit it."),
		rej("diagnostics", "diagnostics is not supported; omit it.", "{}"),
		rej("output_format", `output_format is not supported; use output_config.format with "type": "json_schema".`),
	})
}

func messagesEnums(e *enums) {
	e.msgRoles = newEnum("messages[].role", false, []rule{
		sup("user", "A user turn."),
		sup("assistant", "An earlier reply, or a prefill of the next one."),
		rej("system", "System messages are not supported on the Messages API; put instructions in the first user message."),
	})
	block := func(t, why string) rule {
		return rej(t, t+" content blocks are not supported: "+why)
	}
	const textOnly = "Sail is text only. Send text blocks."
	const noTools = "tools are not available on the Messages API. Send text blocks."
	e.msgBlocks = newEnum("messages[].content[].type", false, []rule{
		con("text", `{"type": "text", "text"}; cache_control and citations are rejected.`),
		block("image", textOnly),
		block("document", textOnly),
		block("search_result", textOnly),
		block("container_upload", textOnly),
		block("thinking", "extended thinking is not supported. Send text blocks."),
		block("redacted_thinking", "extended thinking is not supported. Send text blocks."),
		block("tool_use", noTools),
		block("tool_result", noTools),
		block("server_tool_use", noTools),
		block("web_search_tool_result", noTools),
		block("web_fetch_tool_result", noTools),
		block("code_execution_tool_result", noTools),
		block("bash_code_execution_tool_result", noTools),
		block("text_editor_code_execution_tool_result", noTools),
		block("tool_search_tool_result", noTools),
		block("mcp_tool_use", noTools),
		block("mcp_tool_result", noTools),
	})
}

// Members of a message, and of a text block.
var (
	msgFields   = []string{"role", "content"}
	blockFields = []string{"type", "text", "cache_control", "citations"}
)

func (w *walker) msgMessages(v val) *apierr.Error {
	if !isArray(v) {
		return apierr.WrongType("messages", "an array of messages")
	}
	c := w.each(v)
	for c.next() {
		if err := w.msgMessage(root("messages").index(c.Idx), c.Val); err != nil {
			return err
		}
	}
	if c.n == 0 {
		return apierr.BadValue("messages", "'messages' must contain at least one message.")
	}
	return nil
}

func (w *walker) msgMessage(p at, v val) *apierr.Error {
	if !isObject(v) {
		return apierr.WrongType(p.String(), "an object")
	}
	var f fields
	if err := f.collect(w, p, v, msgFields); err != nil {
		return err
	}
	if !f.given(0) {
		return apierr.Missing(p.dot("role").String())
	}
	if _, err := w.v.enums.msgRoles.pick(p.dot("role"), p.dot("role"), f.val(0)); err != nil {
		return err
	}
	if err := f.only(p, 1<<0|1<<1, msgFields); err != nil {
		return err
	}
	if !f.given(1) {
		return apierr.Missing(p.dot("content").String())
	}
	pc := p.dot("content")
	content := f.val(1)
	if isString(content) {
		return nil
	}
	if !isArray(content) {
		return apierr.WrongType(pc.String(), "a string or an array of content blocks")
	}
	for c := w.each(content); c.next(); {
		pj := pc.index(c.Idx)
		if !isObject(c.Val) {
			return apierr.WrongType(pj.String(), "an object")
		}
		var b fields
		if err := b.collect(w, pj, c.Val, blockFields); err != nil {
			return err
		}
		if !b.given(0) {
			return apierr.Missing(pj.dot("type").String())
		}
		if _, err := w.v.enums.msgBlocks.pick(pj.dot("type"), pj.dot("type"), b.val(0)); err != nil {
			return err
		}
		if err := b.only(pj, 1<<4-1, blockFields); err != nil {
			return err
		}
		if err := requireString(&b, 1, pj, "text"); err != nil {
			return err
		}
		if err := neutral(&b, 2, pj, "cache_control", "Prompt caching (cache_control) is not supported; remove it from content blocks."); err != nil {
			return err
		}
		if err := neutral(&b, 3, pj, "citations", "Citations are not supported; remove them from content blocks.", "[]"); err != nil {
			return err
		}
	}
	return nil
}

// Members of output_config and of its format.
var (
	outputConfigFields = []string{"format", "effort"}
	outputFormatFields = []string{"type", "schema"}
)

func (w *walker) outputConfig(v val) *apierr.Error {
	format, pf, err := w.formatHolder("output_config", v, outputConfigFields, "output_config.effort is not supported; omit it.")
	if err != nil || !exists(format) {
		return err
	}
	var g fields
	if err := g.collect(w, pf, format, outputFormatFields); err != nil {
		return err
	}
	if !g.given(0) {
		return apierr.Missing(pf.dot("type").String())
	}
	if err := oneOf(pf.dot("type"), g.val(0), []string{"json_schema"}, nil); err != nil {
		return err
	}
	if err := g.only(pf, 1<<0|1<<1, outputFormatFields); err != nil {
		return err
	}
	if !g.given(1) {
		return apierr.Missing(pf.dot("schema").String())
	}
	if !isObject(g.val(1)) {
		return apierr.WrongType(pf.dot("schema").String(), "an object (a JSON Schema)")
	}
	return nil
}

// thinking accepts only what asks for no thinking: null or {"type": "disabled"}.
func (w *walker) thinking(r *rule, v val) *apierr.Error {
	if isNull(v) {
		return nil
	}
	if isObject(v) {
		c := w.each(v)
		if c.next() && c.Key == "type" && matches(c.Val, `"disabled"`) && !c.next() {
			return nil
		}
	}
	return apierr.Unsupported("thinking", "%s", r.Text)
}
