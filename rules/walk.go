package rules

import (
	"math"
	"slices"
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

// layout is the structural index of one body: where each object and array starts and ends, in
// the order they open. One pass builds it; with it a cursor steps over a container in O(log n)
// instead of rescanning it, so a value nested d levels deep is not read d times.
type layout struct {
	start, end []int32
	open       []int32 // containers still open while building
}

// build indexes s, which gjson.Valid accepted. Offsets are positions in s.
func (l *layout) build(s string) {
	l.start, l.end, l.open = l.start[:0], l.end[:0], l.open[:0]
	if len(s) > math.MaxInt32 {
		return // cursors fall back to scanning
	}
	for j := 0; j < len(s); j++ {
		switch structural[s[j]] {
		case 1:
			j = endString(s, j) - 1
		case 2:
			l.open = append(l.open, int32(len(l.start)))
			l.start = append(l.start, int32(j))
			l.end = append(l.end, int32(len(s)))
		case 3:
			if n := len(l.open); n > 0 {
				l.end[l.open[n-1]] = int32(j + 1)
				l.open = l.open[:n-1]
			}
		}
	}
}

// endOf returns the end of the container that opens at offset off, or -1 if none does.
func (l *layout) endOf(off int) int {
	if l == nil || off > math.MaxInt32 {
		return -1
	}
	if k, ok := slices.BinarySearch(l.start, int32(off)); ok {
		return int(l.end[k])
	}
	return -1
}

// cursor steps through the members of one JSON object, or the elements of one array, taken from
// a body that gjson.Valid accepted. It is bounds-safe on any input all the same.
type cursor struct {
	raw  string  // the container, from its opening bracket
	base int     // offset of raw in the body, for the layout
	lay  *layout // nil: containers are skipped by scanning
	i    int     // scan position
	obj  bool
	n    int // members yielded so far

	Key string       // member name, decoded; "" for array elements
	Idx int          // position of the current member or element, from 0
	Val gjson.Result // current value; Index is its offset in the body; a string's Str is as written (see text)
}

// each returns a cursor over v, which must be an object or an array (Type JSON) from the body
// being validated.
func (w *walker) each(v gjson.Result) cursor {
	c := cursor{raw: v.Raw, base: v.Index, lay: w.lay, Idx: -1}
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
		end := endString(raw, i)
		c.Key = raw[i+1 : max(i+1, end-1)]
		if strings.IndexByte(c.Key, '\\') >= 0 {
			c.Key = gjson.Parse(raw[i:end]).Str
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
	c.i = value(raw, i, c.lay, c.base, &c.Val)
	c.Idx = c.n
	c.n++
	return true
}

// value parses the JSON value starting at raw[i] into *r (in place: a Result is large, and this
// runs for every member) and returns the index just past it. lay and base locate containers' ends.
func value(raw string, i int, lay *layout, base int, r *gjson.Result) int {
	r.Index = base + i
	r.Str, r.Num = "", 0
	switch raw[i] {
	case '"':
		end := endString(raw, i)
		r.Type, r.Raw, r.Str = gjson.String, raw[i:end], raw[i+1:max(i+1, end-1)]
		return end
	case '{', '[':
		end := lay.endOf(base+i) - base
		if end <= i || end > len(raw) {
			end = endContainer(raw, i)
		}
		r.Type, r.Raw = gjson.JSON, raw[i:end]
		return end
	case 't':
		end := min(i+4, len(raw))
		r.Type, r.Raw = gjson.True, raw[i:end]
		return end
	case 'f':
		end := min(i+5, len(raw))
		r.Type, r.Raw = gjson.False, raw[i:end]
		return end
	case 'n':
		end := min(i+4, len(raw))
		r.Type, r.Raw = gjson.Null, raw[i:end]
		return end
	}
	end := i
	for end < len(raw) && strings.IndexByte("+-0123456789.eE", raw[end]) >= 0 {
		end++
	}
	if end == i { // not JSON; swallow the rest so the walk ends
		*r = gjson.Result{}
		return len(raw)
	}
	r.Type, r.Raw = gjson.Number, raw[i:end]
	r.Num, _ = strconv.ParseFloat(r.Raw, 64)
	return end
}

func skipSpace(raw string, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// endString returns the index just past the string that opens at raw[i]. Strings are most of a
// request's bytes and each nesting level skips its children once, so long strings are crossed
// with strings.IndexByte (vectorised); short ones, mostly keys, are stepped through.
func endString(raw string, i int) int {
	j := i + 1
	for stop := min(j+16, len(raw)); j < stop; j++ {
		switch raw[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	for j < len(raw) {
		k := strings.IndexByte(raw[j:], '"')
		if k < 0 {
			break
		}
		j += k
		n := 0 // backslashes right before the quote: an odd count escapes it
		for b := j - 1; b > i && raw[b] == '\\'; b-- {
			n++
		}
		if n%2 == 0 {
			return j + 1
		}
		j++
	}
	return len(raw)
}

// structural classifies the bytes that matter when skipping a container.
var structural = [256]uint8{'"': 1, '{': 2, '[': 2, '}': 3, ']': 3}

// endContainer returns the index just past the object or array that opens at raw[i].
func endContainer(raw string, i int) int {
	depth := 0
	for j := i; j < len(raw); j++ {
		switch structural[raw[j]] {
		case 1:
			j = endString(raw, j) - 1
		case 2:
			depth++
		case 3:
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
