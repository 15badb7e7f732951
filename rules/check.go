package rules

import (
	"math"
	"net/url"
	"strings"
	"unicode/utf8"

	"sailshim/apierr"
)

// walker carries one Validate call's state. It lives on the stack: every call below is direct.
type walker struct {
	v   *Validator
	out *Request
	t   *tape
}

// field checks the present value v of the top-level field r.
func (w *walker) field(r *rule, v val) *apierr.Error {
	p := root(r.key)
	switch r.kind {
	case kNeutral:
		for _, lit := range r.allow {
			if matches(v, lit) {
				return nil
			}
		}
		// "stream": "yes" is a type error, not a request for streaming. Only booleans and numbers
		// are checked: fields such as stop take several shapes.
		if want := scalarType(r.allow); want != "" && typeName(v) != want {
			return apierr.WrongType(r.key, want)
		}
		return apierr.Unsupported(r.key, "%s", r.Text)
	case kModel:
		if !isString(v) {
			return apierr.WrongType(r.key, "a string")
		}
		if len(v.Raw) == 2 {
			return apierr.BadValue(r.key, "'%s' must not be empty; name one of the served models.", r.key)
		}
		w.out.Model = owned(v)
		return nil
	case kString:
		return wantString(p, v)
	case kBool:
		if !isNull(v) && !isBool(v) {
			return apierr.WrongType(r.key, "a boolean")
		}
		return nil
	case kNumber:
		return number(p, v, r.min, r.max)
	case kMaxTokens:
		return w.maxTokens(r.key, v)
	case kEnum:
		return oneOf(p, v, r.allow, r.deny)
	case kMetadata:
		return w.metadata(v)
	case kBackground:
		if !isNull(v) && !isBool(v) {
			return apierr.WrongType(r.key, "a boolean")
		}
		w.out.Background = v.kind == jTrue
		return nil
	case kModalities:
		return w.modalities(r, v)
	case kInclude:
		return w.include(v)
	case kThinking:
		return w.thinking(r, v)
	case kChatMessages:
		return w.chatMessages(v)
	case kChatTools:
		return w.chatTools(v)
	case kChatToolChoice:
		return w.chatToolChoice(v)
	case kResponseFormat:
		return w.responseFormat(v)
	case kInput:
		return w.input(v)
	case kRespTools:
		return w.respTools(v)
	case kRespToolChoice:
		return w.respToolChoice(v)
	case kText:
		return w.respText(v)
	case kReasoning:
		return w.reasoning(v)
	case kMsgMessages:
		return w.msgMessages(v)
	case kOutputConfig:
		return w.outputConfig(v)
	}
	return nil
}

// scalarType names the JSON type of the first boolean or number literal in allow, or "".
func scalarType(allow []string) string {
	for _, lit := range allow {
		switch {
		case lit == "true" || lit == "false":
			return "a boolean"
		case lit != "" && strings.IndexByte("-0123456789", lit[0]) >= 0:
			return "a number"
		}
	}
	return ""
}

// wantString accepts a string or null.
func wantString(p at, v val) *apierr.Error {
	if !isNull(v) && !isString(v) {
		return apierr.WrongType(p.String(), "a string")
	}
	return nil
}

// requireString accepts only a string (a required member of a nested object).
func requireString(f *fields, b int, p at, name string) *apierr.Error {
	if !f.given(b) {
		return apierr.Missing(p.dot(name).String())
	}
	if !isString(f.val(b)) {
		return apierr.WrongType(p.dot(name).String(), "a string")
	}
	return nil
}

// optString accepts an absent, null or string member of a nested object.
func optString(f *fields, b int, p at, name string) *apierr.Error {
	if f.has(b) {
		return wantString(p.dot(name), f.val(b))
	}
	return nil
}

// optBool accepts an absent, null or boolean member of a nested object.
func optBool(f *fields, b int, p at, name string) *apierr.Error {
	if f.given(b) && !isBool(f.val(b)) {
		return apierr.WrongType(p.dot(name).String(), "a boolean")
	}
	return nil
}

// optObject accepts an absent, null or object member of a nested object.
func optObject(f *fields, b int, p at, name string) *apierr.Error {
	if f.given(b) && !isObject(f.val(b)) {
		return apierr.WrongType(p.dot(name).String(), "an object")
	}
	return nil
}

// neutral rejects a member that asks for something (anything but null or the literals in allow).
func neutral(f *fields, b int, p at, name, why string, allow ...string) *apierr.Error {
	if !f.given(b) {
		return nil
	}
	for _, lit := range allow {
		if matches(f.val(b), lit) {
			return nil
		}
	}
	return apierr.Unsupported(p.dot(name).String(), "%s", why)
}

func number(p at, v val, lo, hi float64) *apierr.Error {
	if isNull(v) {
		return nil
	}
	if !isNumber(v) {
		return apierr.WrongType(p.String(), "a number")
	}
	if n := num(v); n < lo || n > hi {
		return apierr.BadValue(p.String(), "Invalid '%s': %s is out of range; it must be between %g and %g.",
			p.String(), v.Raw, lo, hi)
	}
	return nil
}

// maxTokenCap bounds token limits so that they fit any engine's integer fields.
const maxTokenCap = 1<<31 - 1

func (w *walker) maxTokens(key string, v val) *apierr.Error {
	if isNull(v) {
		return nil
	}
	n := num(v)
	if !isNumber(v) || n != math.Trunc(n) {
		return apierr.WrongType(key, "an integer")
	}
	if n < 1 || n > maxTokenCap {
		return apierr.BadValue(key, "Invalid '%s': %s; it must be a positive integer (at most %d).",
			key, v.Raw, maxTokenCap)
	}
	w.out.MaxTokens = int64(n)
	return nil
}

// oneOf accepts null or a string in allow; a value in deny is a known feature Sail lacks.
func oneOf(p at, v val, allow, deny []string) *apierr.Error {
	if isNull(v) {
		return nil
	}
	if !isString(v) {
		return apierr.WrongType(p.String(), "a string")
	}
	s := text(v)
	for _, a := range allow {
		if s == a {
			return nil
		}
	}
	list := quoteList(allow)
	for _, d := range deny {
		if s == d {
			return apierr.Unsupported(p.String(), "'%s' value %q is not supported. Supported values are: %s.",
				p.String(), s, list)
		}
	}
	return apierr.BadValue(p.String(), "Invalid value %q for '%s'. Supported values are: %s.", s, p.String(), list)
}

func quoteList(vals []string) string {
	var b strings.Builder
	for i, s := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + s + `"`)
	}
	return b.String()
}

// Limits OpenAI documents for metadata.
const (
	metaPairs    = 16
	metaKeyLen   = 64
	metaValueLen = 512
)

// metadata checks the string→string pairs and picks out Sail's keys.
func (w *walker) metadata(v val) *apierr.Error {
	if isNull(v) {
		return nil
	}
	if !isObject(v) {
		return apierr.WrongType("metadata", "an object of string keys and string values")
	}
	var seen [metaPairs]string
	n := 0
	for c := w.each(v); c.next(); {
		meta := root("metadata")
		p := meta.dot(c.Key)
		if n == metaPairs {
			return apierr.BadValue("metadata", "metadata holds at most %d key-value pairs.", metaPairs)
		}
		for _, k := range seen[:n] {
			if k == c.Key {
				return duplicate(p)
			}
		}
		seen[n] = c.Key
		n++
		if utf8.RuneCountInString(c.Key) > metaKeyLen {
			return apierr.BadValue("metadata", "metadata keys are at most %d characters long.", metaKeyLen)
		}
		if !isString(c.Val) {
			return apierr.WrongType(p.String(), "a string")
		}
		// The raw text is never shorter than the decoded one, so most values need no decoding.
		if utf8.RuneCountInString(c.Val.Raw)-2 > metaValueLen && utf8.RuneCountInString(text(c.Val)) > metaValueLen {
			return apierr.BadValue(p.String(), "metadata values are at most %d characters long.", metaValueLen)
		}
		switch c.Key {
		case "completion_window":
			if err := w.window(p, text(c.Val)); err != nil {
				return err
			}
		case "completion_webhook":
			// An invalid webhook is no error: Sail then sends none and the request is unaffected.
			if s := text(c.Val); webhookURL(s) {
				w.out.Webhook = strings.Clone(s)
			}
		case "webhook_token":
			w.out.WebhookToken = owned(c.Val)
		}
	}
	return nil
}

// window sets Request.Window to the configured string equal to s, so nothing is allocated.
func (w *walker) window(p at, s string) *apierr.Error {
	for _, win := range w.v.windows {
		if s == win {
			w.out.Window = win
			return nil
		}
	}
	return apierr.BadValue(p.String(), "Invalid value %q for 'metadata.completion_window'. Supported values are: %s.",
		s, w.v.windowList)
}

// webhookURL reports whether s is an absolute http or https URL with a host.
func webhookURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != ""
}

// formatHolder checks an object that holds a "format" and one knob the matrix does not support
// (Responses text.verbosity, Messages output_config.effort; members lists format first, the knob
// second) and returns the format object with its path; an absent format is a zero val.
func (w *walker) formatHolder(name string, v val, members []string, knob string) (val, at, *apierr.Error) {
	p := root(name)
	pf := p.dot(members[0])
	if isNull(v) {
		return val{}, pf, nil
	}
	if !isObject(v) {
		return val{}, pf, apierr.WrongType(name, "an object")
	}
	var f fields
	if err := f.collect(w, p, v, members); err != nil {
		return val{}, pf, err
	}
	if err := f.only(p, 1<<0|1<<1, members); err != nil {
		return val{}, pf, err
	}
	if err := neutral(&f, 1, p, members[1], knob); err != nil {
		return val{}, pf, err
	}
	if !f.given(0) {
		return val{}, pf, nil
	}
	if !isObject(f.val(0)) {
		return val{}, pf, apierr.WrongType(pf.String(), "an object")
	}
	return f.val(0), pf, nil
}
