package rules

import (
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"

	"sailshim/internal/jsonw"
)

// This file holds the JSON primitives of the one walk. One pass over the body checks its syntax
// (RFC 8259, as gjson.Valid) and records every value in a tape: its bytes, its JSON type and
// where the next value after it starts. The walk then steps through objects and arrays on the
// tape, so no byte is read twice, stepping over a subtree is O(1) however large it is, and
// nothing is unescaped: validation almost never needs the text of a prompt, only its JSON type,
// so text() decodes a string only where its value matters (enumerations, model names,
// metadata). Allocation stays flat as conversations grow.

// alias views b as a string without copying. The string must not outlive b, and nothing taken
// from it may be stored anywhere: Request fields and error params are copied (owned, at.String).
func alias(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// JSON types of values on the tape. A key is a string node that names the member after it.
const (
	jNone = iota // absent (a val never set)
	jString
	jNumber
	jObject
	jArray
	jTrue
	jFalse
	jNull
	jKey
)

// node is one value (or member name) on the tape. It has four fields so that the compiler keeps
// one in registers while building it (a larger struct goes through memory, and the tape is
// built at one node per few bytes of body).
type node struct {
	start, end int32 // the value's bytes in the body
	next       int32 // the node after this value and everything nested in it
	info       uint8 // the j* kind, with escaped set for a string or key holding an escape
}

const escaped = 0x80

func (nd *node) kind() uint8 { return nd.info &^ escaped }
func (nd *node) esc() bool   { return nd.info&escaped != 0 }

// tape is the indexed body. Buffers are reused across calls (Validator.tapes).
type tape struct {
	s     string
	nodes []node
	open  []int32 // containers still open while building
}

// maxPooledNodes bounds the tape buffers kept for reuse.
const maxPooledNodes = 1 << 16

// build checks that s is one JSON value with nothing but whitespace around it and records it on
// the tape; the root is node 0.
func (t *tape) build(s string) bool {
	t.s = s
	if len(s) >= math.MaxInt32 {
		t.nodes = t.nodes[:0]
		return false // far beyond any body the edge admits
	}
	var ok bool
	t.nodes, t.open, ok = index(s, t.nodes[:0], t.open[:0])
	return ok
}

// index is build's loop, on local slices so that appends stay in registers. Most of a body's
// bytes are string text, so plain strings are crossed inline, eight bytes at a time; only
// escapes and control bytes take a call.
func index(s string, nodes []node, open []int32) ([]node, []int32, bool) {
	var (
		ok   bool
		esc  bool
		obj  bool
		c    byte
		info uint8
		k    int32
	)
	i := skipSpace(s, 0)
	if i >= len(s) {
		return nodes, open, false
	}
	for {
		// s[i] starts a value.
		start := i
		switch c = s[i]; c {
		case '{', '[':
			obj = c == '{'
			info = jArray
			if obj {
				info = jObject
			}
			open = append(open, int32(len(nodes)))
			nodes = append(nodes, node{start: int32(i), info: info})
			if i = skipSpace(s, i+1); i >= len(s) {
				return nodes, open, false
			}
			if c = s[i]; c == '}' || c == ']' {
				break // closed below, or rejected there if mismatched
			}
			if obj {
				goto key
			}
			continue
		case '"':
			info = jString
			if i, esc, ok = jsonw.ScanString(s, i); !ok {
				return nodes, open, false
			}
			if esc {
				info |= escaped
			}
			nodes = append(nodes, node{start: int32(start), end: int32(i), next: int32(len(nodes)) + 1, info: info})
		default:
			switch c {
			case 't':
				i, ok = jsonw.Literal(s, i, "true")
				info = jTrue
			case 'f':
				i, ok = jsonw.Literal(s, i, "false")
				info = jFalse
			case 'n':
				i, ok = jsonw.Literal(s, i, "null")
				info = jNull
			default:
				i, ok = jsonw.ScanNumber(s, i)
				info = jNumber
			}
			if !ok {
				return nodes, open, false
			}
			nodes = append(nodes, node{start: int32(start), end: int32(i), next: int32(len(nodes)) + 1, info: info})
		}
		// A value (or an empty container's opening) ended at i: close containers until one
		// continues with a comma.
		for {
			if len(open) == 0 {
				return nodes, open, skipSpace(s, i) == len(s)
			}
			if i = skipSpace(s, i); i >= len(s) {
				return nodes, open, false
			}
			k = open[len(open)-1]
			obj = nodes[k].info == jObject
			if c = s[i]; (obj && c == '}') || (!obj && c == ']') {
				open = open[:len(open)-1]
				nodes[k].end, nodes[k].next = int32(i+1), int32(len(nodes))
				i++
				continue
			} else if c != ',' {
				return nodes, open, false
			}
			if i = skipSpace(s, i+1); i >= len(s) {
				return nodes, open, false
			}
			break
		}
		if !obj {
			continue
		}
	key:
		// s[i] starts a member name.
		if s[i] != '"' {
			return nodes, open, false
		}
		start = i
		info = jKey
		if i, esc, ok = jsonw.ScanString(s, i); !ok {
			return nodes, open, false
		}
		if esc {
			info |= escaped
		}
		nodes = append(nodes, node{start: int32(start), end: int32(i), next: int32(len(nodes)) + 1, info: info})
		if i = skipSpace(s, i); i >= len(s) || s[i] != ':' {
			return nodes, open, false
		}
		if i = skipSpace(s, i+1); i >= len(s) {
			return nodes, open, false
		}
	}
}

// key is the decoded member name at node k. It allocates only when the name holds escapes.
func (t *tape) key(k int32) string {
	nd := &t.nodes[k]
	if nd.esc() {
		return gjson.Parse(t.s[nd.start:nd.end]).Str
	}
	return t.s[nd.start+1 : nd.end-1]
}

// root is the top-level value of a built tape.
func (t *tape) root() val { return t.val(0) }

func (t *tape) val(k int32) val {
	nd := &t.nodes[k]
	return val{Raw: t.s[nd.start:nd.end], node: k, kind: nd.kind(), esc: nd.esc()}
}

func skipSpace(raw string, i int) int {
	for i < len(raw) && raw[i] <= ' ' && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// val is one value of the body being validated.
type val struct {
	Raw  string // the value as written
	node int32  // its node on the tape
	kind uint8  // jNone when absent
	esc  bool   // a string holding escapes
}

// cursor steps through the members of one JSON object, or the elements of one array, on the
// tape.
type cursor struct {
	t        *tape
	pos, end int32 // the next member's node; the node after the container
	obj      bool
	n        int // members yielded so far

	Key string // member name, decoded; "" for array elements
	Idx int    // position of the current member or element, from 0
	Val val    // current value
}

// each returns a cursor over v, which must be an object or an array from the body being
// validated (anything else yields nothing).
func (w *walker) each(v val) cursor {
	c := cursor{t: w.t, Idx: -1}
	if v.kind == jObject || v.kind == jArray {
		c.pos, c.end, c.obj = v.node+1, w.t.nodes[v.node].next, v.kind == jObject
	}
	return c
}

// next advances to the next member and reports whether there is one.
func (c *cursor) next() bool {
	if c.pos >= c.end {
		return false
	}
	t := c.t
	if c.obj {
		c.Key = t.key(c.pos)
		c.pos++
	}
	c.Val = t.val(c.pos)
	c.pos = t.nodes[c.pos].next
	c.Idx = c.n
	c.n++
	return true
}

// member returns the first member of object v called name, or an absent val.
func (w *walker) member(v val, name string) val {
	for c := w.each(v); c.next(); {
		if c.Key == name {
			return c.Val
		}
	}
	return val{}
}

// text returns the decoded value of a string. It allocates only when the string holds escapes.
func text(v val) string {
	if v.kind != jString || len(v.Raw) < 2 {
		return ""
	}
	if !v.esc {
		return v.Raw[1 : len(v.Raw)-1]
	}
	return gjson.Parse(v.Raw).Str
}

// owned returns the decoded value of a string in memory of its own, for Request fields that
// outlive the body.
func owned(v val) string {
	if !v.esc {
		return strings.Clone(text(v))
	}
	return text(v)
}

// num is a number's value (numbers on the tape are valid JSON; out-of-range ones are ±Inf).
// Token limits and the like are short integers, read without strconv.
func num(v val) float64 {
	if r := v.Raw; len(r) > 0 && len(r) <= 15 {
		n := uint64(0)
		for i := 0; i < len(r); i++ {
			if r[i]-'0' >= 10 {
				f, _ := strconv.ParseFloat(r, 64)
				return f
			}
			n = n*10 + uint64(r[i]-'0')
		}
		return float64(n) // exact: fewer than 16 digits
	}
	f, _ := strconv.ParseFloat(v.Raw, 64)
	return f
}

func exists(v val) bool   { return v.kind != jNone }
func isNull(v val) bool   { return v.kind == jNull }
func isString(v val) bool { return v.kind == jString }
func isNumber(v val) bool { return v.kind == jNumber }
func isBool(v val) bool   { return v.kind == jTrue || v.kind == jFalse }
func isObject(v val) bool { return v.kind == jObject }
func isArray(v val) bool  { return v.kind == jArray }

// isEmpty reports whether v is an object or array with no members.
func isEmpty(v val) bool {
	return (v.kind == jObject || v.kind == jArray) && skipSpace(v.Raw, 1) >= len(v.Raw)-1
}

// matches reports whether v equals the JSON literal lit (null, true, false, a number, a string,
// [] or {}), comparing values rather than spelling.
func matches(v val, lit string) bool {
	switch {
	case lit == "null":
		return v.kind == jNull
	case lit == "true":
		return v.kind == jTrue
	case lit == "false":
		return v.kind == jFalse
	case lit == "[]":
		return isArray(v) && isEmpty(v)
	case lit == "{}":
		return isObject(v) && isEmpty(v)
	case strings.HasPrefix(lit, `"`):
		return v.kind == jString && text(v) == lit[1:len(lit)-1]
	}
	if v.kind != jNumber {
		return false
	}
	n, err := strconv.ParseFloat(lit, 64)
	return err == nil && num(v) == n
}

// typeName names v's JSON type for error messages.
func typeName(v val) string {
	switch {
	case v.kind == jNull:
		return "null"
	case isBool(v):
		return "a boolean"
	case v.kind == jNumber:
		return "a number"
	case v.kind == jString:
		return "a string"
	case isArray(v):
		return "an array"
	}
	return "an object"
}

// at is the location of a value in the body, rendered as a param path
// ("messages[2].content[0].type") only when an error names it. It is a chain of steps back to a
// top-level field, each on the stack of the walk function that took it, so building one costs a
// few words and never allocates.
type at struct {
	up  *at
	key string
	idx int // -1: no index
}

// root starts a path at a top-level field.
func root(key string) at { return at{key: key, idx: -1} }

// dot appends a member name. The result points at p, so it must not outlive p.
func (p *at) dot(key string) at { return at{up: p, key: key, idx: -1} }

// index sets the array index of the last step.
func (p at) index(i int) at {
	p.idx = i
	return p
}

// String renders the path in memory of its own (keys may point into the body).
func (p at) String() string {
	var steps [8]*at
	n := 0
	for s := &p; s != nil && n < len(steps); s = s.up {
		steps[n] = s
		n++
	}
	var b []byte
	for k := n - 1; k >= 0; k-- {
		if k < n-1 {
			b = append(b, '.')
		}
		b = append(b, steps[k].key...)
		if steps[k].idx >= 0 {
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(steps[k].idx), 10)
			b = append(b, ']')
		}
	}
	return string(b)
}
