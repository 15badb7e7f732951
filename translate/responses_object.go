package translate

// The OpenAI response object: built from an engine's chat reply (ResponsesResponse) or, before
// there is one or when it failed, from the request alone (ResponsesObject). Both echo the
// request's settings the way OpenAI does, so SDKs that read them back see what they sent.

import (
	"strconv"

	"github.com/tidwall/gjson"

	"sailshim/apierr"
)

// ResponsesResponse turns the engine's chat reply into a complete OpenAI response object.
//
// req is the client's /v1/responses body. Status is "completed", or "incomplete" with
// incomplete_details.reason "max_output_tokens" when the engine stopped at the token limit.
// completed_at is left out: Meta carries no completion time.
func ResponsesResponse(dst, engine, req []byte, d Dialect, m Meta) ([]byte, *apierr.Error) {
	if _, e := capsOf(d); e != nil {
		return dst, e
	}
	r, e := readEngineReply(engine)
	if e != nil {
		return dst, e
	}
	ec := readRespEcho(req)
	status, reason := "completed", ""
	switch r.Finish {
	case "length":
		status, reason = "incomplete", "max_output_tokens"
	case "content_filter":
		status, reason = "incomplete", "content_filter"
	}
	dst = appendResponsePrefix(dst, &ec, m, status, nil, reason)
	dst = appendOutputItems(dst, &r, &ec, m.ID, status)
	dst = appendResponseSuffix(dst, &ec, &r.Usage)
	return dst, nil
}

// ResponsesObject writes the response object for a request that has no engine reply yet or failed: status "queued", "in_progress" or "failed" (with e as error {code,message}).
//
// output is empty and usage absent. A failed object without e reports a generic server error.
func ResponsesObject(dst, req []byte, m Meta, status string, e *apierr.Error) []byte {
	ec := readRespEcho(req)
	if status != "failed" {
		e = nil
	} else if e == nil {
		e = apierr.Internal("The response could not be generated.")
	}
	dst = appendResponsePrefix(dst, &ec, m, status, e, "")
	dst = append(dst, "[]"...)
	return appendResponseSuffix(dst, &ec, nil)
}

// respEcho holds the request members a response object echoes.
type respEcho struct {
	model, temperature, topP, maxOutput gjson.Result
	tools, toolChoice, text, reasoning  gjson.Result
	metadata, background, user          gjson.Result
}

// readRespEcho reads req's echoed members; a body that is not a JSON object echoes defaults.
func readRespEcho(req []byte) respEcho {
	var ec respEcho
	s := viewString(req)
	if !gjson.Valid(s) {
		return ec
	}
	gjson.Parse(s).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			ec.model = v
		case "temperature":
			ec.temperature = v
		case "top_p":
			ec.topP = v
		case "max_output_tokens":
			ec.maxOutput = v
		case "tools":
			ec.tools = v
		case "tool_choice":
			ec.toolChoice = v
		case "text":
			ec.text = v
		case "reasoning":
			ec.reasoning = v
		case "metadata":
			ec.metadata = v
		case "background":
			ec.background = v
		case "user":
			ec.user = v
		}
		return true
	})
	return ec
}

// appendResponsePrefix writes the object up to and including `"output":`.
func appendResponsePrefix(dst []byte, ec *respEcho, m Meta, status string, e *apierr.Error, incomplete string) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, m.ID)
	dst = append(dst, `,"object":"response","created_at":`...)
	dst = strconv.AppendInt(dst, m.CreatedAt, 10)
	dst = append(dst, `,"status":`...)
	dst = appendJSONString(dst, status)
	dst = append(dst, `,"background":`...)
	if ec.background.IsBool() {
		dst = append(dst, ec.background.Raw...)
	} else {
		dst = append(dst, "false"...)
	}
	dst = append(dst, `,"error":`...)
	if e != nil {
		dst = append(dst, `{"code":"`...)
		dst = append(dst, responseErrorCode(e)...)
		dst = append(dst, `","message":`...)
		dst = appendJSONString(dst, e.Message)
		dst = append(dst, '}')
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"incomplete_details":`...)
	if incomplete != "" {
		dst = append(dst, `{"reason":"`...)
		dst = append(dst, incomplete...)
		dst = append(dst, `"}`...)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"instructions":null,"max_output_tokens":`...)
	dst = appendNumberOr(dst, ec.maxOutput, "null")
	dst = append(dst, `,"max_tool_calls":null,"model":`...)
	if m.Model != "" || ec.model.Type != gjson.String {
		dst = appendJSONString(dst, m.Model)
	} else {
		dst = appendRawString(dst, ec.model)
	}
	return append(dst, `,"output":`...)
}

// responseErrorCode maps an error onto the codes a response object's error may carry (an
// enum in OpenAI's schema; the message keeps the detail).
func responseErrorCode(e *apierr.Error) string {
	switch {
	case e.Status == 429 || e.Type == apierr.TypeRateLimit:
		return "rate_limit_exceeded"
	case e.Status >= 400 && e.Status < 500:
		return "invalid_prompt"
	}
	return "server_error"
}

// appendResponseSuffix writes everything after output and closes the object. usage is nil
// while there is no engine reply.
func appendResponseSuffix(dst []byte, ec *respEcho, usage *engineUsage) []byte {
	dst = append(dst, `,"parallel_tool_calls":false,"previous_response_id":null,"reasoning":`...)
	dst = appendEchoReasoning(dst, ec.reasoning)
	dst = append(dst, `,"store":true,"temperature":`...)
	dst = appendNumberOr(dst, ec.temperature, "1")
	dst = append(dst, `,"text":`...)
	dst = appendEchoText(dst, ec.text)
	dst = append(dst, `,"tool_choice":`...)
	if ec.toolChoice.Type == gjson.String || ec.toolChoice.IsObject() {
		dst = append(dst, ec.toolChoice.Raw...)
	} else {
		dst = append(dst, `"auto"`...)
	}
	dst = append(dst, `,"tools":`...)
	dst = appendEchoTools(dst, ec.tools)
	dst = append(dst, `,"top_p":`...)
	dst = appendNumberOr(dst, ec.topP, "1")
	dst = append(dst, `,"truncation":"disabled"`...)
	if usage != nil {
		dst = append(dst, `,"usage":`...)
		dst = usage.appendResponses(dst)
	}
	if ec.user.Type == gjson.String {
		dst = append(dst, `,"user":`...)
		dst = appendRawString(dst, ec.user)
	}
	dst = append(dst, `,"metadata":`...)
	dst = appendObjectOr(dst, ec.metadata, "{}")
	return append(dst, '}')
}

func appendEchoReasoning(dst []byte, r gjson.Result) []byte {
	dst = append(dst, `{"effort":`...)
	dst = appendStringOr(dst, r.Get("effort"), "null")
	dst = append(dst, `,"summary":`...)
	return append(appendStringOr(dst, summaryAsked(r), "null"), '}')
}

// summaryAsked is reasoning.summary, or the deprecated reasoning.generate_summary.
func summaryAsked(r gjson.Result) gjson.Result {
	if s := r.Get("summary"); s.Type == gjson.String {
		return s
	}
	return r.Get("generate_summary")
}

func appendEchoText(dst []byte, t gjson.Result) []byte {
	dst = append(dst, `{"format":`...)
	dst = appendObjectOr(dst, t.Get("format"), `{"type":"text"}`)
	if v := t.Get("verbosity"); v.Type == gjson.String {
		dst = append(dst, `,"verbosity":`...)
		dst = appendRawString(dst, v)
	}
	return append(dst, '}')
}

// appendEchoTools echoes tools as given, except that a function tool gets the parameters and
// strict members OpenAI's response object requires (null when the request left them out).
func appendEchoTools(dst []byte, tools gjson.Result) []byte {
	if !tools.IsArray() {
		return append(dst, "[]"...)
	}
	dst = append(dst, '[')
	tools.ForEach(func(_, t gjson.Result) bool {
		dst = appendSep(dst)
		if !t.IsObject() || t.Get("type").Str != "function" {
			dst = append(dst, t.Raw...)
			return true
		}
		hasParams, hasStrict := false, false
		t.ForEach(func(k, _ gjson.Result) bool {
			hasParams = hasParams || k.Str == "parameters"
			hasStrict = hasStrict || k.Str == "strict"
			return true
		})
		if hasParams && hasStrict {
			dst = append(dst, t.Raw...)
			return true
		}
		dst = append(dst, trimObjectEnd(t.Raw)...)
		if !hasParams {
			dst = appendKey(dst, "parameters")
			dst = append(dst, "null"...)
		}
		if !hasStrict {
			dst = appendKey(dst, "strict")
			dst = append(dst, "null"...)
		}
		dst = append(dst, '}')
		return true
	})
	return append(dst, ']')
}

// trimObjectEnd drops an object token's closing brace and the whitespace before it, so
// members can be appended.
func trimObjectEnd(raw string) string {
	n := len(raw)
	if n > 0 && raw[n-1] == '}' {
		n--
	}
	for n > 0 && (raw[n-1] == ' ' || raw[n-1] == '\n' || raw[n-1] == '\t' || raw[n-1] == '\r') {
		n--
	}
	return raw[:n]
}

// appendOutputItems writes the output array: reasoning, then the message, then tool calls,
// the order the engine produced them in.
func appendOutputItems(dst []byte, r *engineReply, ec *respEcho, id, status string) []byte {
	itemStatus := `"completed"`
	if status == "incomplete" {
		itemStatus = `"incomplete"`
	}
	dst = append(dst, '[')
	n := 0
	if r.Reasoning.Type == gjson.String && len(r.Reasoning.Raw) > 2 {
		dst = append(dst, `{"id":`...)
		dst = appendDerivedID(dst, "rs_", id, n)
		dst = append(dst, `,"type":"reasoning","summary":[`...)
		if summaryAsked(ec.reasoning).Type == gjson.String {
			// Engines give no summary of their own; the reasoning text is the closest thing.
			dst = append(dst, `{"type":"summary_text","text":`...)
			dst = appendRawString(dst, r.Reasoning)
			dst = append(dst, '}')
		}
		dst = append(dst, `],"content":[{"type":"reasoning_text","text":`...)
		dst = appendRawString(dst, r.Reasoning)
		dst = append(dst, `}]}`...)
		n++
	}
	refusal := r.Refusal.Type == gjson.String && len(r.Refusal.Raw) > 2
	if hasText(r.Content) || refusal || !r.ToolCalls.Exists() {
		dst = appendSep(dst)
		dst = append(dst, `{"id":`...)
		dst = appendDerivedID(dst, "msg_", id, n)
		dst = append(dst, `,"type":"message","status":`...)
		dst = append(dst, itemStatus...)
		dst = append(dst, `,"role":"assistant","content":[`...)
		if hasText(r.Content) || !refusal {
			dst = append(dst, `{"type":"output_text","text":`...)
			if hasText(r.Content) {
				dst = appendContentText(dst, r.Content)
			} else {
				dst = append(dst, `""`...)
			}
			dst = append(dst, `,"annotations":[],"logprobs":[]}`...)
		}
		if refusal {
			dst = appendSep(dst)
			dst = append(dst, `{"type":"refusal","refusal":`...)
			dst = appendRawString(dst, r.Refusal)
			dst = append(dst, '}')
		}
		dst = append(dst, `]}`...)
		n++
	}
	if r.ToolCalls.Exists() {
		customs := customNames{tools: ec.tools, path: "name"}
		i := 0
		r.ToolCalls.ForEach(func(_, tc gjson.Result) bool {
			dst = appendSep(dst)
			dst = appendOutputCall(dst, tc, customs, id, n, i, itemStatus)
			n++
			i++
			return true
		})
	}
	return append(dst, ']')
}

// appendOutputCall writes one engine tool call as a function_call or custom_tool_call item;
// n numbers the item, i the call (for a derived call_id).
func appendOutputCall(dst []byte, tc gjson.Result, customs customNames, id string, n, i int, itemStatus string) []byte {
	ec := readEngineCall(tc, customs)
	dst = append(dst, `{"id":`...)
	if ec.Custom {
		dst = appendDerivedID(dst, "ctc_", id, n)
		dst = append(dst, `,"type":"custom_tool_call","call_id":`...)
		dst = ec.appendID(dst, id, i)
		dst = append(dst, `,"name":`...)
		dst = appendStringOr(dst, ec.Name, `""`)
		dst = append(dst, `,"input":`...)
		dst = ec.appendInput(dst)
		return append(dst, '}')
	}
	dst = appendDerivedID(dst, "fc_", id, n)
	dst = append(dst, `,"type":"function_call","status":`...)
	dst = append(dst, itemStatus...)
	dst = append(dst, `,"call_id":`...)
	dst = ec.appendID(dst, id, i)
	dst = append(dst, `,"name":`...)
	dst = appendStringOr(dst, ec.Name, `""`)
	dst = append(dst, `,"arguments":`...)
	dst = ec.appendArguments(dst)
	return append(dst, '}')
}
