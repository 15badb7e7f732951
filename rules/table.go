package rules

import (
	"strings"

	"sailshim/apierr"
)

// Verdict is what sailshim does with a field or value.
type Verdict uint8

const (
	// Supported: accepted as the upstream API (OpenAI or Anthropic) defines it.
	Supported Verdict = iota + 1
	// Rejected: the feature is not supported; the field is accepted only with a value that asks
	// for nothing (null, false, an empty list…), named in the row's text.
	Rejected
	// Constrained: supported, with fewer values or shapes than the upstream API allows.
	Constrained
)

func (v Verdict) String() string {
	switch v {
	case Supported:
		return "supported"
	case Rejected:
		return "rejected"
	case Constrained:
		return "constrained"
	}
	return "unknown"
}

// Row is one line of the support matrix as sailshim implements it.
type Row struct {
	Field   string  // the field as a path: "temperature", "messages[].content[].type: \"image_url\""
	Verdict Verdict // Supported, Rejected or Constrained
	Text    string  // for people; for a Rejected row it is also the error message
}

// kind selects the code that checks a present value of a top-level field. The table says which
// fields exist and what they accept; kinds keep the dispatch a switch, so nothing escapes.
type kind uint8

const (
	kNeutral   kind = iota // a rejected feature: only the JSON literals in allow are accepted
	kModel                 // required non-empty string, copied to Request.Model
	kString                // a string, or null
	kBool                  // a boolean, or null
	kNumber                // a number in [min, max], or null
	kMaxTokens             // a positive integer, or null; copied to Request.MaxTokens
	kEnum                  // a string in allow (deny: values the API defines but Sail rejects), or null
	kMetadata
	kBackground
	kModalities
	kInclude
	kThinking
	kChatMessages
	kChatTools
	kChatToolChoice
	kResponseFormat
	kInput
	kRespTools
	kRespToolChoice
	kText
	kReasoning
	kMsgMessages
	kOutputConfig
)

// rule is a Row plus what the validator needs to enforce it.
type rule struct {
	Row
	key      string   // the JSON member name (top level) or discriminating value (nested)
	kind     kind     // top level only
	required bool     // absent or null is a missing_required_parameter error
	allow    []string // kNeutral: accepted JSON literals; kEnum: accepted values
	deny     []string // kEnum: values the upstream API defines that Sail rejects
	min, max float64  // kNumber bounds
	nested   []*enum  // tables of values inside this field, listed after it in docs
}

// table is the matrix of one surface: its top-level fields, in the order docs list them.
type table struct {
	surface Surface
	title   string
	fields  []rule
	index   strIndex
}

func newTable(s Surface, title string, fields []rule) table {
	t := table{surface: s, title: title, fields: fields}
	keys := make([]string, len(fields))
	for i, f := range fields {
		if f.Field == "" {
			t.fields[i].Field = f.key
		}
		keys[i] = f.key
	}
	t.index = newStrIndex(keys)
	return t
}

// rows returns the table's rows, each field followed by the tables of values nested in it.
func (t *table) rows() []Row {
	var out []Row
	for _, f := range t.fields {
		out = append(out, f.Row)
		for _, e := range f.nested {
			for _, r := range e.rows {
				out = append(out, r.Row)
			}
		}
	}
	return out
}

// enum is a nested table keyed by a discriminating value: a role, a content part type, a tool
// type. Values it does not list are invalid (or, with open set, accepted).
type enum struct {
	field string // the discriminator's path, e.g. `messages[].content[].type`
	rows  []rule
	index strIndex
	valid string // the Supported and Constrained values, quoted, for error messages
	open  bool   // values not listed are accepted (include)
}

func newEnum(field string, open bool, rows []rule) *enum {
	e := &enum{field: field, rows: rows, open: open}
	var valid []string
	keys := make([]string, len(rows))
	for i, r := range rows {
		e.rows[i].Field = field + `: "` + r.key + `"`
		keys[i] = r.key
		if r.Verdict != Rejected {
			valid = append(valid, `"`+r.key+`"`)
		}
	}
	e.index = newStrIndex(keys)
	e.valid = strings.Join(valid, ", ")
	return e
}

func (e *enum) find(s string) *rule {
	if i, ok := e.index.find(s); ok {
		return &e.rows[i]
	}
	return nil
}

// pick resolves the discriminator v (at p) in e. A listed Rejected value is reported as
// unsupported at rej; an unlisted value as invalid at p.
func (e *enum) pick(p, rej at, v val) (*rule, *apierr.Error) {
	if !isString(v) {
		return nil, apierr.WrongType(p.String(), "a string")
	}
	r := e.find(text(v))
	switch {
	case r == nil && e.open:
		return nil, nil
	case r == nil:
		return nil, apierr.BadValue(p.String(), "Invalid value %q for '%s'. Supported values are: %s.",
			text(v), p.String(), e.valid)
	case r.Verdict == Rejected:
		return nil, apierr.Unsupported(rej.String(), "%s", r.Text)
	}
	return r, nil
}

// sup, con and rej build rows tersely in the surface tables.
func sup(key, txt string) rule { return rule{Row: Row{Verdict: Supported, Text: txt}, key: key} }
func con(key, txt string) rule { return rule{Row: Row{Verdict: Constrained, Text: txt}, key: key} }

// rej is a rejected feature that is accepted only with the JSON literals in allow ("null" is
// always accepted).
func rej(key, txt string, allow ...string) rule {
	return rule{Row: Row{Verdict: Rejected, Text: txt}, key: key, kind: kNeutral,
		allow: append([]string{"null"}, allow...)}
}

func (r rule) with(k kind) rule        { r.kind = k; return r }
func (r rule) need() rule              { r.required = true; return r }
func (r rule) rng(lo, hi float64) rule { r.kind, r.min, r.max = kNumber, lo, hi; return r }
func (r rule) sub(e ...*enum) rule     { r.nested = e; return r }
func (r rule) enum(allow, deny []string) rule {
	r.kind, r.allow, r.deny = kEnum, allow, deny
	return r
}

// strIndex finds a string's position in a fixed list: an open-addressing table hashed on the
// length and three bytes, cheaper than a map lookup for the short names of the matrix, which the
// walk looks up once per member and discriminator.
type strIndex struct {
	keys  []string
	slots []int16 // position+1 in keys; 0: empty. A power of two long, at least twice len(keys)
}

func newStrIndex(keys []string) strIndex {
	n := 8
	for n < 2*len(keys) {
		n *= 2
	}
	x := strIndex{keys: keys, slots: make([]int16, n)}
	for i, k := range keys {
		if _, dup := x.find(k); dup {
			panic("rules: " + k + " is listed twice")
		}
		h := strHash(k)
		for x.slots[h&uint(n-1)] != 0 {
			h++
		}
		x.slots[h&uint(n-1)] = int16(i + 1)
	}
	return x
}

func strHash(s string) uint {
	n := uint(len(s))
	if n == 0 {
		return 0
	}
	return n*0x9e37 ^ uint(s[0])*0x1f3 ^ uint(s[n/2])*0x61 ^ uint(s[n-1])*0x3b
}

// find returns the position of s in the list.
func (x *strIndex) find(s string) (int, bool) {
	mask := uint(len(x.slots) - 1)
	for h := strHash(s); ; h++ {
		k := x.slots[h&mask]
		if k == 0 {
			return 0, false
		}
		if x.keys[k-1] == s {
			return int(k - 1), true
		}
	}
}

// fields collects, in one pass, the members of an object whose names are listed in names (bit i
// for names[i]). A repeated member is an error at once, because later stages read the first
// occurrence with gjson while engines keep the last. An unlisted member is only noted: what the
// object may hold depends on its type, which callers resolve first, so that a rejected type is
// reported as such rather than as an unknown member (see only).
type fields struct {
	t       *tape
	node    [16]int32 // the value of member i, when bit i of present is set
	present uint32
	unknown string // the first member not in names, "" if none (never null: keys can be "")
	hasUnk  bool
}

func (f *fields) collect(w *walker, p at, v val, names []string) *apierr.Error {
	t := w.t
	f.t = t
	if v.kind != jObject {
		return nil
	}
	for k, end := v.node+1, t.nodes[v.node].next; k < end; {
		key, vk := t.key(k), k+1
		k = t.nodes[vk].next
		b := -1
		for i, n := range names {
			if n == key {
				b = i
				break
			}
		}
		if b < 0 {
			if !f.hasUnk {
				f.unknown, f.hasUnk = key, true
			}
			continue
		}
		if f.present&(1<<b) != 0 {
			return duplicate(p.dot(key))
		}
		f.present |= 1 << b
		f.node[b] = vk
	}
	return nil
}

// val is member b's value, or an absent val.
func (f *fields) val(b int) val {
	if f.present&(1<<b) == 0 {
		return val{}
	}
	return f.t.val(f.node[b])
}

func (f *fields) has(b int) bool { return f.present&(1<<b) != 0 }

// given reports whether member b is present and not null.
func (f *fields) given(b int) bool { return f.has(b) && !isNull(f.val(b)) }

// only reports, as an unknown parameter, the first member that is not in names or whose bit is
// outside allowed.
func (f *fields) only(p at, allowed uint32, names []string) *apierr.Error {
	if f.hasUnk {
		return apierr.Unknown(p.dot(f.unknown).String())
	}
	rest := f.present &^ allowed
	for b := 0; rest != 0 && b < len(names); b++ {
		if rest&(1<<b) != 0 {
			return apierr.Unknown(p.dot(names[b]).String())
		}
	}
	return nil
}

func duplicate(p at) *apierr.Error {
	return apierr.BadValue(p.String(), "'%s' appears more than once; send each field once.", p.String())
}
