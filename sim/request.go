package sim

import (
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
)

// chatRequest is what the simulator reads from a chat completion body. Its gjson results and
// strings point into the request body, which outlives the reply being built.
type chatRequest struct {
	model        string
	hash         uint64       // of the messages: seeds the reply
	promptTokens int          // words in every message's text
	lastRole     string       // role of the last message
	lastUser     gjson.Result // content of the last user message (directives, tool mentions)
	n            int
	maxTokens    int // 0 → up to the context window
	tools        []toolDef
	toolChoice   toolChoice
	toolName     string // named function of tool_choice
	format       outputFormat
	schema       gjson.Result // response_format.json_schema.schema
	reasoning    bool
	dir          directives
}

type toolDef struct {
	name       string
	parameters gjson.Result
}

type toolChoice uint8

const (
	toolAuto toolChoice = iota
	toolNone
	toolRequired
	toolNamed
)

type outputFormat uint8

const (
	formatText outputFormat = iota
	formatJSONObject
	formatJSONSchema
)

func (r *chatRequest) reset() {
	tools := r.tools[:0]
	*r = chatRequest{tools: tools}
}

// b2s views body bytes as a string without copying; the string must not outlive the request.
func b2s(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// parseChat reads and validates a chat completion body the way vLLM's request model does, for the
// fields the simulator acts on. defaultModel is used when the body names none.
func parseChat(r *chatRequest, body []byte, defaultModel string) *vllmError {
	r.reset()
	js := b2s(body)
	if !gjson.Valid(js) {
		return badRequest("Invalid JSON body: the request body could not be parsed.")
	}
	root := gjson.Parse(js)
	if !root.IsObject() {
		return badRequest("Invalid request body: expected a JSON object.")
	}
	var f topFields
	f.read(root)
	if err := r.readModel(f.model, defaultModel); err != nil {
		return err
	}
	if err := r.readMessages(f.messages); err != nil {
		return err
	}
	if s := f.stream; s.Exists() && s.Type != gjson.Null {
		if s.Type != gjson.True && s.Type != gjson.False {
			return badParam("stream", "stream: Input should be a valid boolean.")
		}
		if s.Type == gjson.True {
			return badParam("stream", "Streaming is not supported by this simulated engine.")
		}
	}
	if err := r.readLimits(&f); err != nil {
		return err
	}
	if err := r.readTools(f.tools, f.toolChoice); err != nil {
		return err
	}
	if err := r.readFormat(f.responseFormat); err != nil {
		return err
	}
	r.reasoning = f.reasoningEffort.Type == gjson.String ||
		f.templateKwargs.Get("enable_thinking").Type == gjson.True
	r.dir = parseDirectives(r.lastUser)
	return nil
}

// topFields are the top-level members the simulator reads, collected in one pass over the body
// (one gjson.Get per field would rescan it each time). A repeated key keeps its last value, as
// Python's json module does.
type topFields struct {
	model, messages, stream, n, maxCompletionTokens, maxTokens gjson.Result
	tools, toolChoice, responseFormat, reasoningEffort         gjson.Result
	templateKwargs                                             gjson.Result
}

func (f *topFields) read(root gjson.Result) {
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			f.model = v
		case "messages":
			f.messages = v
		case "stream":
			f.stream = v
		case "n":
			f.n = v
		case "max_completion_tokens":
			f.maxCompletionTokens = v
		case "max_tokens":
			f.maxTokens = v
		case "tools":
			f.tools = v
		case "tool_choice":
			f.toolChoice = v
		case "response_format":
			f.responseFormat = v
		case "reasoning_effort":
			f.reasoningEffort = v
		case "chat_template_kwargs":
			f.templateKwargs = v
		}
		return true
	})
}

func (r *chatRequest) readModel(m gjson.Result, defaultModel string) *vllmError {
	switch m.Type {
	case gjson.Null:
		r.model = defaultModel
	case gjson.String:
		r.model = m.Str
	default:
		return badParam("model", "model: Input should be a valid string.")
	}
	return nil
}

func (r *chatRequest) readMessages(msgs gjson.Result) *vllmError {
	if !msgs.Exists() || msgs.Type == gjson.Null {
		return badParam("messages", "messages: Field required.")
	}
	if !msgs.IsArray() {
		return badParam("messages", "messages: Input should be a valid list.")
	}
	var err *vllmError
	count := 0
	r.hash = fnv64(fnvOffset, msgs.Raw)
	msgs.ForEach(func(_, m gjson.Result) bool {
		if !m.IsObject() {
			err = badParam("messages", "messages.%d: Input should be a valid dictionary.", count)
			return false
		}
		role := m.Get("role")
		if role.Type != gjson.String {
			err = badParam("messages", "messages.%d.role: Field required.", count)
			return false
		}
		content := m.Get("content")
		switch {
		case content.Type == gjson.String, content.Type == gjson.Null, !content.Exists():
		case content.IsArray():
		default:
			err = badParam("messages", "messages.%d.content: Input should be a valid string or list.", count)
			return false
		}
		eachText(content, func(s string) { r.promptTokens += countWords(s) })
		r.lastRole = role.Str
		if role.Str == "user" {
			r.lastUser = content
		}
		count++
		return true
	})
	if err != nil {
		return err
	}
	if count == 0 {
		return badParam("messages", "messages: List should have at least 1 item.")
	}
	if r.promptTokens == 0 {
		r.promptTokens = 1
	}
	if r.promptTokens > maxModelLen {
		return badRequest("This model's maximum context length is %d tokens. However, your messages resulted in %d tokens. Please reduce the length of the messages.",
			maxModelLen, r.promptTokens)
	}
	return nil
}

// eachText calls fn with a message content's text: the string itself, or each text part.
func eachText(content gjson.Result, fn func(string)) {
	if content.Type == gjson.String {
		fn(content.Str)
		return
	}
	if !content.IsArray() {
		return
	}
	content.ForEach(func(_, part gjson.Result) bool {
		if t := part.Get("text"); t.Type == gjson.String {
			fn(t.Str)
		}
		return true
	})
}

func (r *chatRequest) readLimits(f *topFields) *vllmError {
	r.n = 1
	if n := f.n; n.Exists() && n.Type != gjson.Null {
		v, ok := intValue(n)
		if !ok {
			return badParam("n", "n: Input should be a valid integer.")
		}
		if v < 1 || v > maxChoices {
			return badParam("n", "n must be between 1 and %d, got %d.", maxChoices, v)
		}
		r.n = int(v)
	}
	for i, mt := range [2]gjson.Result{f.maxCompletionTokens, f.maxTokens} {
		field := [2]string{"max_completion_tokens", "max_tokens"}[i]
		if !mt.Exists() || mt.Type == gjson.Null {
			continue
		}
		v, ok := intValue(mt)
		if !ok {
			return badParam(field, "%s: Input should be a valid integer.", field)
		}
		if v < 1 {
			return badParam(field, "max_tokens must be at least 1, got %d.", v)
		}
		if int64(r.promptTokens)+v > maxModelLen {
			return badRequest("This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion). Please reduce the length of the messages or completion.",
				maxModelLen, int64(r.promptTokens)+v, r.promptTokens, v)
		}
		r.maxTokens = int(v)
		break
	}
	return nil
}

// intValue accepts a JSON number with an integral value, as pydantic does.
func intValue(v gjson.Result) (int64, bool) {
	if v.Type != gjson.Number {
		return 0, false
	}
	f := v.Num
	if f != float64(int64(f)) || f > 1<<53 || f < -(1<<53) {
		return 0, false
	}
	return int64(f), true
}

func (r *chatRequest) readTools(tools, choice gjson.Result) *vllmError {
	if tools.Exists() && tools.Type != gjson.Null {
		if !tools.IsArray() {
			return badParam("tools", "tools: Input should be a valid list.")
		}
		var err *vllmError
		i := 0
		tools.ForEach(func(_, t gjson.Result) bool {
			name := t.Get("function.name")
			if t.Get("type").Str != "function" || name.Type != gjson.String || name.Str == "" {
				err = badParam("tools", "tools.%d: expected {\"type\":\"function\",\"function\":{\"name\":...}}.", i)
				return false
			}
			r.tools = append(r.tools, toolDef{name: name.Str, parameters: t.Get("function.parameters")})
			i++
			return true
		})
		if err != nil {
			return err
		}
	}
	return r.readToolChoice(choice)
}

func (r *chatRequest) readToolChoice(choice gjson.Result) *vllmError {
	switch {
	case !choice.Exists() || choice.Type == gjson.Null:
		r.toolChoice = toolAuto
		return nil
	case choice.Type == gjson.String:
		switch choice.Str {
		case "auto":
			r.toolChoice = toolAuto
		case "none":
			r.toolChoice = toolNone
			return nil
		case "required":
			r.toolChoice = toolRequired
		default:
			return badParam("tool_choice", "tool_choice: Input should be 'none', 'auto', 'required' or a named function, got %q.", choice.Str)
		}
	case choice.IsObject():
		name := choice.Get("function.name")
		if name.Type != gjson.String {
			return badParam("tool_choice", "tool_choice: a named tool choice needs function.name.")
		}
		r.toolChoice, r.toolName = toolNamed, name.Str
	default:
		return badParam("tool_choice", "tool_choice: Input should be a string or an object.")
	}
	if len(r.tools) == 0 {
		if r.toolChoice == toolAuto {
			return nil
		}
		return badParam("tool_choice", "When using `tool_choice`, `tools` must be set.")
	}
	if r.toolChoice == toolNamed && r.findTool(r.toolName) < 0 {
		return badParam("tool_choice", "The function `%s` specified in `tool_choice` does not match any of the specified `tools`.", r.toolName)
	}
	return nil
}

func (r *chatRequest) findTool(name string) int {
	for i := range r.tools {
		if r.tools[i].name == name {
			return i
		}
	}
	return -1
}

func (r *chatRequest) readFormat(rf gjson.Result) *vllmError {
	if !rf.Exists() || rf.Type == gjson.Null {
		return nil
	}
	if !rf.IsObject() {
		return badParam("response_format", "response_format: Input should be an object.")
	}
	switch t := rf.Get("type").Str; t {
	case "text":
	case "json_object":
		r.format = formatJSONObject
	case "json_schema":
		js := rf.Get("json_schema")
		if !js.IsObject() {
			return badParam("response_format", "response_format.json_schema: Field required.")
		}
		r.format = formatJSONSchema
		r.schema = js.Get("schema")
		if !r.schema.Exists() {
			r.format = formatJSONObject
		}
	default:
		return badParam("response_format", "response_format.type: Input should be 'text', 'json_object' or 'json_schema', got %q.", t)
	}
	return nil
}

// mentionsTool reports the first tool whose name appears in the last user message, or -1.
func (r *chatRequest) mentionsTool() int {
	found := -1
	eachText(r.lastUser, func(s string) {
		for i := range r.tools {
			if found < 0 && strings.Contains(s, r.tools[i].name) {
				found = i
			}
		}
	})
	return found
}
