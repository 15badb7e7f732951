// Package rules owns the support matrix as data (one table per surface: field → supported,
// rejected with a reason, or accepted under a constraint) and the validator that applies it to a
// request body in one walk.
//
// It decides only whether a request is acceptable and extracts the few facts later stages need
// (Request). It must not rewrite bodies (translate does), schedule (policy does) or do I/O, and
// must not import policy, translate, proxy or store.
package rules

import (
	"strings"
	"sync"

	"sailshim/apierr"
)

// Surface names a client-facing API.
type Surface string

const (
	Chat      Surface = "chat"
	Responses Surface = "responses"
	Messages  Surface = "messages"
	Batch     Surface = "batch"
)

// Request is what validation learned about a body that passed, so later stages need not parse
// it again. Its strings are copies: none points into the body.
type Request struct {
	Surface      Surface
	Model        string
	Window       string // metadata.completion_window, or Config.DefaultWindow when absent
	Webhook      string // metadata.completion_webhook when it is a valid http(s) URL, else ""
	WebhookToken string // metadata.webhook_token
	Background   bool   // Responses "background": true

	// MaxTokens is the client's cap on output tokens — max_completion_tokens (Chat),
	// max_output_tokens (Responses) or max_tokens (Messages) — or 0 when the client set none.
	// Admission uses it to estimate the cost of a request before it runs.
	MaxTokens int64
}

// Reset clears r for reuse.
func (r *Request) Reset() { *r = Request{} }

// Config configures a Validator.
type Config struct {
	Windows       []string // accepted metadata.completion_window values; nil → {"asap","15m","24h"}
	DefaultWindow string   // "" → "15m"
}

// Validator checks request bodies against the support matrix. It is immutable after New and
// safe for concurrent use.
type Validator struct {
	windows    []string
	defWindow  string
	windowList string // `"asap", "15m", "24h"`, for error messages

	chat, responses, messages table
	enums                     enums

	tapes sync.Pool // *tape buffers, reused across calls
}

// enums holds the nested tables (roles, content part types, tool types…) the walk consults.
type enums struct {
	chatRoles, chatParts, chatCalls, chatFormats, chatTools, chatModes, chatChoices                          *enum
	respItems, respRoles, respParts, respOutput, respTools, respModes, respChoices, respFormats, respInclude *enum
	msgRoles, msgBlocks                                                                                      *enum
}

// New builds a Validator from cfg.
func New(cfg Config) *Validator {
	v := &Validator{windows: cfg.Windows, defWindow: cfg.DefaultWindow}
	if v.windows == nil {
		v.windows = []string{"asap", "15m", "24h"}
	}
	v.windows = append([]string(nil), v.windows...)
	if v.defWindow == "" {
		v.defWindow = "15m"
	}
	q := make([]string, len(v.windows))
	for i, w := range v.windows {
		q[i] = `"` + w + `"`
	}
	v.windowList = strings.Join(q, ", ")
	v.tapes.New = func() any { return new(tape) }
	chatEnums(&v.enums)
	responsesEnums(&v.enums)
	messagesEnums(&v.enums)
	meta := con("metadata", "Up to 16 string key-value pairs (keys at most 64 characters, values at most 512). "+
		"metadata.completion_window must be one of "+v.windowList+" (default \""+v.defWindow+"\"). "+
		"metadata.completion_webhook, an absolute http(s) URL, receives a POST when processing finishes; "+
		"an invalid one is ignored. metadata.webhook_token is sent to it as a bearer token.").with(kMetadata)
	v.chat = chatTable(&v.enums, meta)
	v.responses = responsesTable(&v.enums, meta)
	v.messages = messagesTable(&v.enums, meta)
	return v
}

func (v *Validator) table(s Surface) *table {
	switch s {
	case Chat:
		return &v.chat
	case Responses:
		return &v.responses
	case Messages:
		return &v.messages
	}
	return nil
}

// Validate checks body for surface s (Chat, Responses, Messages) and fills out. It never panics
// on any input. When it returns an error, out holds nothing useful. out may be nil when only the
// verdict is wanted.
func (v *Validator) Validate(s Surface, body []byte, out *Request) (err *apierr.Error) {
	defer func() {
		// The fuzz tests keep this unreachable; it stands so that a bug costs one request a 500
		// rather than the process.
		if recover() != nil {
			err = apierr.Internal("The request could not be validated.")
		}
	}()
	t := v.table(s)
	if t == nil {
		return apierr.Internal("No support matrix for surface %q.", s)
	}
	if out == nil {
		out = new(Request)
	}
	out.Reset()
	out.Surface = s

	tp := v.tapes.Get().(*tape)
	defer func() {
		tp.s = ""
		if cap(tp.nodes) <= maxPooledNodes {
			v.tapes.Put(tp)
		}
	}()
	if !tp.build(alias(body)) || tp.nodes[0].kind() != jObject {
		return apierr.MalformedJSON()
	}
	w := walker{v: v, out: out, t: tp}
	var seen uint64
	for c := w.each(tp.root()); c.next(); {
		k, ok := t.index.find(c.Key)
		if !ok {
			return apierr.Unknown(strings.Clone(c.Key))
		}
		r := &t.fields[k]
		if seen&(1<<k) != 0 {
			return duplicate(root(r.key))
		}
		seen |= 1 << k
		if r.required && isNull(c.Val) {
			return apierr.Missing(r.key)
		}
		if e := w.field(r, c.Val); e != nil {
			return e
		}
	}
	for k := range t.fields {
		if r := &t.fields[k]; r.required && seen&(1<<k) == 0 {
			return apierr.Missing(r.key)
		}
	}
	if out.Window == "" {
		out.Window = v.defWindow
	}
	return nil
}

// Rows returns the table of s as data, for docs generation (docs/SUPPORT.md): each top-level
// field, followed by the tables of values nested in it (roles, content part types, tool types…).
// It returns nil for a surface without a table.
func (v *Validator) Rows(s Surface) []Row {
	if t := v.table(s); t != nil {
		return t.rows()
	}
	return nil
}
