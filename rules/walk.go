package rules

import (
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
)

// This file holds the JSON primitives of the one walk. The body is checked once with gjson.Valid;
// after that, a cursor steps through objects and arrays and yields gjson.Result values.
//
// Why not gjson.Result.ForEach: it unescapes every string value it yields, which allocates a copy
// of each string that contains a backslash — every tool-call "arguments" string and most
// multi-line prompts. Validation almost never needs the text of a prompt, only its JSON type, so
// the cursor leaves strings as written and text() decodes one only where its value matters
// (enumerations, model names, metadata). Allocation then stays flat as conversations grow.

// alias views b as a string without copying. The string must not outlive b, and nothing taken
// from it may be stored anywhere: Request fields and error params are copied (owned, at.String).
func alias(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// cursor steps through the members of one JSON object, or the elements of one array, taken from
// a body that gjson.Valid accepted. It is bounds-safe on any input all the same.
type cursor struct {
	raw string // the container, from its opening bracket
	i   int    // scan position
	obj bool
	n   int // members yielded so far

	Key string       // member name, decoded; "" for array elements
	Idx int          // position of the current member or element, from 0
	Val gjson.Result // current value; for strings, Str is the text as written (see text)
}

// each returns a cursor over v, which must be an object or an array (Type JSON).
func each(v gjson.Result) cursor {
	c := cursor{raw: v.Raw, Idx: -1}
	if len(c.raw) > 0 {
		c.obj = c.raw[0] == '{'
		c.i = 1
	}
	return c
}

// next advances to the next member and reports whether there is one.
func (c *cursor) next() bool {
	raw := c.raw
	i := skipSpace(raw, c.i)
	if i < len(raw) && raw[i] == ',' {
		i = skipSpace(raw, i+1)
	}
	if i >= len(raw) || raw[i] == '}' || raw[i] == ']' {
		c.i = len(raw)
		return false
	}
	if c.obj {
		if raw[i] != '"' {
			c.i = len(raw)
			return false
		}
		end, esc := endString(raw, i)
		if esc {
			c.Key = gjson.Parse(raw[i:end]).Str
		} else {
			c.Key = raw[i+1 : max(i+1, end-1)]
		}
		i = skipSpace(raw, end)
		if i < len(raw) && raw[i] == ':' {
			i = skipSpace(raw, i+1)
		}
	}
	if i >= len(raw) {
		c.i = len(raw)
		return false
	}
	c.i, c.Val = value(raw, i)
	c.Idx = c.n
	c.n++
	return true
}

// value parses the JSON value starting at raw[i] and returns the index just past it.
func value(raw string, i int) (int, gjson.Result) {
	switch raw[i] {
	case '"':
		end, _ := endString(raw, i)
		return end, gjson.Result{Type: gjson.String, Raw: raw[i:end], Str: raw[i+1 : max(i+1, end-1)]}
	case '{', '[':
		end := endContainer(raw, i)
		return end, gjson.Result{Type: gjson.JSON, Raw: raw[i:end]}
	case 't':
		end := min(i+4, len(raw))
		return end, gjson.Result{Type: gjson.True, Raw: raw[i:end]}
	case 'f':
		end := min(i+5, len(raw))
		return end, gjson.Result{Type: gjson.False, Raw: raw[i:end]}
	case 'n':
		end := min(i+4, len(raw))
		return end, gjson.Result{Type: gjson.Null, Raw: raw[i:end]}
	}
	end := i
	for end < len(raw) && strings.IndexByte("+-0123456789.eE", raw[end]) >= 0 {
		end++
	}
	if end == i { // not JSON; swallow the rest so the walk ends
		return len(raw), gjson.Result{}
	}
	num, _ := strconv.ParseFloat(raw[i:end], 64)
	return end, gjson.Result{Type: gjson.Number, Raw: raw[i:end], Num: num}
}

func skipSpace(raw string, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// endString returns the index just past the string that opens at raw[i], and whether it holds
// escapes.
func endString(raw string, i int) (int, bool) {
	esc := false
	for j := i + 1; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			esc = true
			j++
		case '"':
			return j + 1, esc
		}
	}
	return len(raw), esc
}

// endContainer returns the index just past the object or array that opens at raw[i].
func endContainer(raw string, i int) int {
	depth := 0
	for j := i; j < len(raw); j++ {
		switch raw[j] {
		case '"':
			end, _ := endString(raw, j)
			j = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(raw)
}

// text returns the decoded value of a string Result. It allocates only when the string holds
// escapes.
func text(v gjson.Result) string {
	if strings.IndexByte(v.Raw, '\\') < 0 {
		return v.Str
	}
	return gjson.Parse(v.Raw).Str
}

// owned returns the decoded value of a string Result in memory of its own, for Request fields
// that outlive the body.
func owned(v gjson.Result) string {
	if strings.IndexByte(v.Raw, '\\') < 0 {
		return strings.Clone(v.Str)
	}
	return gjson.Parse(v.Raw).Str
}

func isNull(v gjson.Result) bool   { return v.Type == gjson.Null }
func isString(v gjson.Result) bool { return v.Type == gjson.String }
func isBool(v gjson.Result) bool   { return v.Type == gjson.True || v.Type == gjson.False }
func isObject(v gjson.Result) bool { return v.Type == gjson.JSON && len(v.Raw) > 0 && v.Raw[0] == '{' }
func isArray(v gjson.Result) bool  { return v.Type == gjson.JSON && len(v.Raw) > 0 && v.Raw[0] == '[' }

// isEmpty reports whether v is an object or array with no members.
func isEmpty(v gjson.Result) bool {
	return v.Type == gjson.JSON && skipSpace(v.Raw, 1) >= len(v.Raw)-1
}

// isInt reports whether v is a number with an integral value (1e3 is one; 1.5 is not).
func isInt(v gjson.Result) bool {
	return v.Type == gjson.Number && v.Num == math.Trunc(v.Num)
}

// matches reports whether v equals the JSON literal lit (null, true, false, a number, a string,
// [] or {}), comparing values rather than spelling.
func matches(v gjson.Result, lit string) bool {
	switch {
	case lit == "null":
		return v.Type == gjson.Null
	case lit == "true":
		return v.Type == gjson.True
	case lit == "false":
		return v.Type == gjson.False
	case lit == "[]":
		return isArray(v) && isEmpty(v)
	case lit == "{}":
		return isObject(v) && isEmpty(v)
	case strings.HasPrefix(lit, `"`):
		return v.Type == gjson.String && text(v) == lit[1:len(lit)-1]
	}
	n, err := strconv.ParseFloat(lit, 64)
	return err == nil && v.Type == gjson.Number && v.Num == n
}

// typeName names v's JSON type for error messages.
func typeName(v gjson.Result) string {
	switch {
	case v.Type == gjson.Null:
		return "null"
	case isBool(v):
		return "a boolean"
	case v.Type == gjson.Number:
		return "a number"
	case v.Type == gjson.String:
		return "a string"
	case isArray(v):
		return "an array"
	}
	return "an object"
}

// at is the location of a value in the body, rendered as a param path ("messages[2].content[0].type")
// only when an error names it. It is a value so that building one never allocates.
type at struct {
	n     int
	steps [6]step
}

type step struct {
	key string
	idx int // -1: no index
}

// root starts a path at a top-level field.
func root(key string) at {
	var p at
	return p.dot(key)
}

// dot appends a member name.
func (p at) dot(key string) at {
	if p.n < len(p.steps) {
		p.steps[p.n] = step{key: key, idx: -1}
		p.n++
	}
	return p
}

// index sets the array index of the last step.
func (p at) index(i int) at {
	if p.n > 0 {
		p.steps[p.n-1].idx = i
	}
	return p
}

// String renders the path in memory of its own (keys may point into the body).
func (p at) String() string {
	var b []byte
	for k := 0; k < p.n; k++ {
		if k > 0 {
			b = append(b, '.')
		}
		b = append(b, p.steps[k].key...)
		if p.steps[k].idx >= 0 {
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(p.steps[k].idx), 10)
			b = append(b, ']')
		}
	}
	return string(b)
}
