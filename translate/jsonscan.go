package translate

// The reading half of request rewrites: a validating scanner. A request rewrite copies most of
// a body verbatim, so rather than checking the whole body with gjson.Valid and then parsing it
// again, one pass checks each value as it is copied or descended into. Nothing is unescaped
// (so nothing allocates), strings are crossed eight bytes at a time, and any malformed byte
// fails the whole rewrite, so a rewrite that succeeds always wrote JSON — on any input, not only
// on bodies that passed rules validation. The grammar is RFC 8259's, as gjson.Valid and
// encoding/json check it (UTF-8 is not checked; writers re-encode strings they build from).

import (
	"github.com/tidwall/gjson"

	"sailshim/internal/jsonw"
)

// tok is one JSON value as written in the body: a view, never a copy.
type tok struct {
	raw  string // the value's bytes; "" when absent
	kind byte   // one of the t* kinds; tNone when absent
	esc  bool   // a string that holds a backslash escape
}

const (
	tNone = iota
	tString
	tNumber
	tObject
	tArray
	tTrue
	tFalse
	tNull
)

func (t tok) isString() bool { return t.kind == tString }
func (t tok) isObject() bool { return t.kind == tObject }
func (t tok) isArray() bool  { return t.kind == tArray }
func (t tok) isBool() bool   { return t.kind == tTrue || t.kind == tFalse }
func (t tok) exists() bool   { return t.kind != tNone }

// text is a string token's decoded value ("" for any other kind). It allocates only when the
// string holds escapes.
func (t tok) text() string {
	if t.kind != tString || len(t.raw) < 2 {
		return ""
	}
	if !t.esc {
		return t.raw[1 : len(t.raw)-1]
	}
	return gjson.Parse(t.raw).Str
}

// is reports whether t is a string whose decoded value is lit.
func (t tok) is(lit string) bool {
	if t.kind != tString {
		return false
	}
	if !t.esc {
		return len(t.raw) == len(lit)+2 && t.raw[1:len(t.raw)-1] == lit
	}
	return t.text() == lit
}

// field returns the first member called name of an object token (which has been scanned, so is
// valid JSON), or an absent tok. Objects here are small (a tool, a tool call, a format).
func (t tok) field(name string) tok {
	if t.kind != tObject {
		return tok{}
	}
	for m := openScan(t.raw, 0); m.next(); {
		v := m.value()
		if m.keyIs(name) {
			return v
		}
	}
	return tok{}
}

// leadingMember returns the value of the first member of the object that opens obj when that
// member's name is written exactly as key (quotes included), or an absent tok. It checks what
// it reads, so obj need not have been scanned; the rest of the object is not read. It spares a
// scan for the usual shape of messages, whose first member is "role".
func leadingMember(obj string, key string) tok {
	i := skipWS(obj, 1)
	if len(obj)-i < len(key) || obj[i:i+len(key)] != key {
		return tok{}
	}
	i = skipWS(obj, i+len(key))
	if i >= len(obj) || obj[i] != ':' {
		return tok{}
	}
	i = skipWS(obj, i+1)
	if i >= len(obj) {
		return tok{}
	}
	v, _, _ := scanValue(obj, i)
	return v
}

// result is t as a gjson.Result, for error messages that describe a value.
func (t tok) result() gjson.Result {
	if t.kind == tNone {
		return gjson.Result{}
	}
	return gjson.Parse(t.raw)
}

func skipWS(s string, i int) int {
	for i < len(s) && s[i] <= ' ' && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t') {
		i++
	}
	return i
}

// literal checks that lit is written at s[i] and returns the index past it.
// scanScalar checks the string, number or literal that starts at s[i].
func scanScalar(s string, i int) (end int, kind byte, esc, ok bool) {
	switch s[i] {
	case '"':
		end, esc, ok = jsonw.ScanString(s, i)
		return end, tString, esc, ok
	case 't':
		end, ok = jsonw.Literal(s, i, "true")
		return end, tTrue, false, ok
	case 'f':
		end, ok = jsonw.Literal(s, i, "false")
		return end, tFalse, false, ok
	case 'n':
		end, ok = jsonw.Literal(s, i, "null")
		return end, tNull, false, ok
	}
	end, ok = jsonw.ScanNumber(s, i)
	return end, tNumber, false, ok
}

// nesting is the stack of open containers while skipping one: a bit per level, set for objects.
// The first 256 levels live in the struct (on the stack); deeper ones spill to the heap.
type nesting struct {
	n     int
	small [4]uint64
	more  []uint64
}

func (st *nesting) word(k int) *uint64 {
	if w := k >> 6; w < len(st.small) {
		return &st.small[w]
	}
	return &st.more[k>>6-len(st.small)]
}

func (st *nesting) push(obj bool) {
	if w := st.n >> 6; w >= len(st.small) && w-len(st.small) == len(st.more) {
		st.more = append(st.more, 0)
	}
	p := st.word(st.n)
	if obj {
		*p |= 1 << (st.n & 63)
	} else {
		*p &^= 1 << (st.n & 63)
	}
	st.n++
}

func (st *nesting) top() bool {
	k := st.n - 1
	return *st.word(k)&(1<<(k&63)) != 0
}

// scanContainer checks the object or array that opens at s[i] and returns the index just past
// it. It keeps its own stack rather than recursing, so nesting depth costs a bit per level. It is
// the loop most of a body's bytes pass through, so plain strings are crossed inline and
// only escapes and control bytes take a call.
func scanContainer(s string, i int) (int, bool) {
	var (
		st  nesting
		ok  bool
		obj bool
		c   byte
	)
	for {
		// s[i] starts a value.
		switch c = s[i]; c {
		case '"':
			if i, _, ok = jsonw.ScanString(s, i); !ok {
				return i, false
			}
		case '{', '[':
			obj = c == '{'
			st.push(obj)
			if i = skipWS(s, i+1); i >= len(s) {
				return i, false
			}
			if c = s[i]; c == '}' || c == ']' {
				break // closed below, or rejected there if mismatched
			}
			if obj {
				goto key
			}
			continue
		default:
			if i, _, _, ok = scanScalar(s, i); !ok {
				return i, false
			}
		}
		// A value (or an empty container's opening) ended at i: close containers until one
		// continues with a comma.
		for {
			if st.n == 0 {
				return i, true
			}
			if i = skipWS(s, i); i >= len(s) {
				return i, false
			}
			obj = st.top()
			if c = s[i]; (obj && c == '}') || (!obj && c == ']') {
				st.n--
				i++
				continue
			} else if c != ',' {
				return i, false
			}
			if i = skipWS(s, i+1); i >= len(s) {
				return i, false
			}
			break
		}
		if !obj {
			continue
		}
	key:
		if s[i] != '"' {
			return i, false
		}
		if i, _, ok = jsonw.ScanString(s, i); !ok {
			return i, false
		}
		if i = skipWS(s, i); i >= len(s) || s[i] != ':' {
			return i, false
		}
		if i = skipWS(s, i+1); i >= len(s) {
			return i, false
		}
	}
}

// scanValue checks the value that starts at s[i] (i < len(s), no space before it) and returns
// it as a tok along with the index just past it.
func scanValue(s string, i int) (tok, int, bool) {
	if c := s[i]; c == '{' || c == '[' {
		end, ok := scanContainer(s, i)
		kind := byte(tArray)
		if c == '{' {
			kind = tObject
		}
		return tok{raw: s[i:end], kind: kind}, end, ok
	}
	if s[i] == '"' {
		end, esc, ok := jsonw.ScanString(s, i)
		if !ok {
			return tok{}, end, false
		}
		return tok{raw: s[i:end], kind: tString, esc: esc}, end, true
	}
	end, kind, esc, ok := scanScalar(s, i)
	if !ok {
		return tok{}, end, false
	}
	return tok{raw: s[i:end], kind: kind, esc: esc}, end, true
}

// scan steps through the members of an object or the elements of an array, checking the syntax
// around them. Each step yields the position of a value, which the caller must consume, with
// value or with a nested scan (sub, then resume). Once bad is set, next stops.
type scan struct {
	s   string
	at  int  // the current value's start, and after consuming it, its end
	n   int  // values yielded so far
	obj bool // an object: each value has a key
	bad bool
	end bool // the closing bracket has been read

	key    string // the member name as written, quotes included (objects)
	keyEsc bool
}

// openScan starts a scan over the container at s[i]; a non-container leaves it bad.
func openScan(s string, i int) scan {
	sc := scan{s: s, at: i + 1}
	if i >= len(s) || (s[i] != '{' && s[i] != '[') {
		sc.bad, sc.at = true, i
		return sc
	}
	sc.obj = s[i] == '{'
	return sc
}

// next advances to the next value and reports whether there is one.
func (sc *scan) next() bool {
	if sc.bad || sc.end {
		return false
	}
	s := sc.s
	i := skipWS(s, sc.at)
	if i >= len(s) {
		sc.bad = true
		return false
	}
	closer := byte(']')
	if sc.obj {
		closer = '}'
	}
	if s[i] == closer {
		sc.at, sc.end = i+1, true
		return false
	}
	if sc.n > 0 {
		if s[i] != ',' {
			sc.bad = true
			return false
		}
		i = skipWS(s, i+1)
	}
	if sc.obj {
		if i >= len(s) || s[i] != '"' {
			sc.bad = true
			return false
		}
		end, esc, ok := jsonw.ScanString(s, i) // the member name
		if !ok {
			sc.bad = true
			return false
		}
		sc.key, sc.keyEsc = s[i:end], esc
		i = skipWS(s, end)
		if i >= len(s) || s[i] != ':' {
			sc.bad = true
			return false
		}
		i = skipWS(s, i+1)
	}
	if i >= len(s) {
		sc.bad = true
		return false
	}
	sc.at = i
	sc.n++
	return true
}

// value checks and consumes the current value.
func (sc *scan) value() tok {
	t, end, ok := scanValue(sc.s, sc.at)
	sc.at = end
	if !ok {
		sc.bad = true
		return tok{}
	}
	return t
}

// peek is the first byte of the current value.
func (sc *scan) peek() byte { return sc.s[sc.at] }

// keyIs reports whether the current member's decoded name is name.
func (sc *scan) keyIs(name string) bool {
	return tok{raw: sc.key, kind: tString, esc: sc.keyEsc}.is(name)
}

// keyText is the current member's decoded name.
func (sc *scan) keyText() string {
	return tok{raw: sc.key, kind: tString, esc: sc.keyEsc}.text()
}

// sub starts a nested scan over the current value, which must be a container.
func (sc *scan) sub() scan { return openScan(sc.s, sc.at) }

// resume continues after a nested scan over the current value.
func (sc *scan) resume(inner *scan) {
	sc.at = inner.at
	if inner.bad || !inner.end {
		sc.bad = true
	}
}

// closed reports whether the scan read its container to the closing bracket.
func (sc *scan) closed() bool { return !sc.bad && sc.end }

// scanBody opens the top-level object of a request body; any other value leaves it bad.
func scanBody(s string) scan {
	i := skipWS(s, 0)
	if i < len(s) && s[i] != '{' {
		return scan{s: s, at: i, bad: true}
	}
	return openScan(s, i)
}

// bodyDone reports whether a finished top-level scan read a whole, valid body.
func bodyDone(sc *scan) bool {
	return sc.closed() && skipWS(sc.s, sc.at) == len(sc.s)
}

// validBody reports whether s is one JSON object (for error paths that stop reading early).
func validBody(s string) bool {
	i := skipWS(s, 0)
	if i >= len(s) || s[i] != '{' {
		return false
	}
	end, ok := scanContainer(s, i)
	return ok && skipWS(s, end) == len(s)
}
