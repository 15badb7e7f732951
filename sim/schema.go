package sim

import (
	"math"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// schemaGen writes a JSON value that satisfies a JSON Schema, the way a grammar-constrained engine
// would: deterministic for a seed, every required property present, optional ones while shallow.
// It understands the keywords tool parameters and structured-output schemas use in practice
// (type, properties, required, additionalProperties, items, prefixItems, min/maxItems, enum,
// const, anyOf/oneOf (first branch), allOf (objects merged), $ref into the same document, string
// formats and lengths, numeric bounds and multipleOf). Anything else is ignored.
type schemaGen struct {
	root  gjson.Result // document $ref resolves against
	seed  uint64
	nodes int // values written; past nodeBudget, only required values are written
	start int // offset in dst where the value began
}

const (
	maxSchemaDepth   = 24 // beyond it a (necessarily recursive) schema gets null
	optionalDepth    = 3  // optional properties and non-required items only above this depth
	nodeBudget       = 4096
	hardNodeBudget   = 4 * nodeBudget // past it, null: output stays bounded whatever the schema
	maxOutputBytes   = 1 << 20
	maxGeneratedItem = 64 // cap on minItems / minProperties honoured
)

// generate appends a value satisfying schema, resolving references against schema itself.
func generate(dst []byte, schema gjson.Result, seed uint64) []byte {
	g := schemaGen{root: schema, seed: seed, start: len(dst)}
	return g.value(dst, schema, 0)
}

func (g *schemaGen) next() uint64 {
	g.seed = mix(g.seed)
	return g.seed
}

// value appends a JSON value satisfying s.
func (g *schemaGen) value(dst []byte, s gjson.Result, depth int) []byte {
	g.nodes++
	if depth > maxSchemaDepth || g.nodes > hardNodeBudget || len(dst)-g.start > maxOutputBytes || s.Type == gjson.False {
		return append(dst, "null"...)
	}
	if !s.IsObject() { // true, or not a schema: anything goes
		return g.anyString(dst)
	}
	if ref := s.Get(`\$ref`); ref.Type == gjson.String {
		return g.value(dst, g.resolve(ref.Str), depth+1)
	}
	if c := s.Get("const"); c.Exists() {
		return append(dst, c.Raw...)
	}
	if e := s.Get("enum"); e.IsArray() {
		if vals := e.Array(); len(vals) > 0 {
			return append(dst, vals[g.next()%uint64(len(vals))].Raw...)
		}
	}
	typ := schemaType(s)
	if typ == "" {
		for _, kw := range [2]string{"anyOf", "oneOf"} {
			if alt := s.Get(kw); alt.IsArray() {
				if first := alt.Get("0"); first.Exists() {
					return g.value(dst, first, depth+1)
				}
			}
		}
	}
	if all := s.Get("allOf"); all.IsArray() {
		return g.allOf(dst, s, all, typ, depth)
	}
	return g.typed(dst, s, typ, depth)
}

func (g *schemaGen) typed(dst []byte, s gjson.Result, typ string, depth int) []byte {
	switch typ {
	case "object":
		return g.object(dst, []gjson.Result{s}, depth)
	case "array":
		return g.array(dst, s, depth)
	case "string":
		return g.str(dst, s)
	case "integer":
		return g.number(dst, s, true)
	case "number":
		return g.number(dst, s, false)
	case "boolean":
		if g.next()&1 == 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case "null":
		return append(dst, "null"...)
	}
	return g.anyString(dst)
}

// allOf merges object branches (the common pydantic/zod shape) and otherwise follows the first.
func (g *schemaGen) allOf(dst []byte, s, all gjson.Result, typ string, depth int) []byte {
	parts := []gjson.Result{s}
	objects := typ == "object" || typ == ""
	all.ForEach(func(_, b gjson.Result) bool {
		for i := 0; i < maxSchemaDepth; i++ {
			ref := b.Get(`\$ref`)
			if ref.Type != gjson.String {
				break
			}
			b = g.resolve(ref.Str)
		}
		t := schemaType(b)
		objects = objects && (t == "object" || t == "")
		parts = append(parts, b)
		return true
	})
	if objects && len(parts) > 1 {
		return g.object(dst, parts, depth)
	}
	if typ == "" && len(parts) > 1 {
		return g.value(dst, parts[1], depth+1)
	}
	return g.typed(dst, s, typ, depth)
}

// schemaType is the schema's type, inferred from its keywords when absent; a type list gives its
// first non-null member.
func schemaType(s gjson.Result) string {
	t := s.Get("type")
	if t.Type == gjson.String {
		return t.Str
	}
	if t.IsArray() {
		first := ""
		t.ForEach(func(_, v gjson.Result) bool {
			if v.Str != "null" && v.Type == gjson.String {
				first = v.Str
				return false
			}
			if first == "" {
				first = v.Str
			}
			return true
		})
		return first
	}
	switch {
	case s.Get("properties").Exists(), s.Get("required").Exists(), s.Get("additionalProperties").Exists():
		return "object"
	case s.Get("items").Exists(), s.Get("prefixItems").Exists():
		return "array"
	}
	return ""
}

// resolve follows a same-document reference ("#", "#/$defs/X", "#/definitions/X", any JSON
// pointer). Other references resolve to true (anything).
func (g *schemaGen) resolve(ref string) gjson.Result {
	if ref == "#" {
		return g.root
	}
	if !strings.HasPrefix(ref, "#/") {
		return gjson.Result{Type: gjson.True, Raw: "true"}
	}
	cur := g.root
	for _, seg := range strings.Split(ref[2:], "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		cur = child(cur, seg)
		if !cur.Exists() {
			return gjson.Result{Type: gjson.True, Raw: "true"}
		}
	}
	return cur
}

// child looks a key up without gjson path syntax, so keys with dots or wildcards work.
func child(v gjson.Result, key string) gjson.Result {
	var out gjson.Result
	if v.IsArray() {
		if i, err := strconv.Atoi(key); err == nil {
			return v.Get(strconv.Itoa(i))
		}
		return out
	}
	v.ForEach(func(k, val gjson.Result) bool {
		if k.Str == key {
			out = val
			return false
		}
		return true
	})
	return out
}

func (g *schemaGen) object(dst []byte, parts []gjson.Result, depth int) []byte {
	required := func(key string) bool {
		for _, p := range parts {
			found := false
			p.Get("required").ForEach(func(_, r gjson.Result) bool {
				found = r.Str == key
				return !found
			})
			if found {
				return true
			}
		}
		return false
	}
	var written []string
	has := func(key string) bool {
		for _, w := range written {
			if w == key {
				return true
			}
		}
		return false
	}
	emit := func(key string, sub gjson.Result) {
		if len(written) > 0 {
			dst = append(dst, ',')
		}
		dst = gjson.AppendJSONString(dst, key)
		dst = append(dst, ':')
		dst = g.value(dst, sub, depth+1)
		written = append(written, key)
	}
	shallow := depth < optionalDepth && g.nodes < nodeBudget
	dst = append(dst, '{')
	for _, p := range parts {
		p.Get("properties").ForEach(func(k, sub gjson.Result) bool {
			if !has(k.Str) && (shallow || required(k.Str)) {
				emit(k.Str, sub)
			}
			return true
		})
	}
	extra := g.additional(parts)
	for _, p := range parts {
		p.Get("required").ForEach(func(_, k gjson.Result) bool {
			if k.Type == gjson.String && !has(k.Str) {
				emit(k.Str, extra)
			}
			return true
		})
	}
	if extra.Type != gjson.False {
		minProps := 0
		for _, p := range parts {
			if m, ok := intValue(p.Get("minProperties")); ok && int(m) > minProps {
				minProps = min(int(m), maxGeneratedItem)
			}
		}
		for i := 0; len(written) < minProps; i++ {
			if key := "key" + strconv.Itoa(i); !has(key) {
				emit(key, extra)
			}
		}
	}
	return append(dst, '}')
}

// additional is the schema for properties beyond "properties": false when any part forbids them.
func (g *schemaGen) additional(parts []gjson.Result) gjson.Result {
	out := gjson.Result{Type: gjson.True, Raw: "true"}
	for _, p := range parts {
		a := p.Get("additionalProperties")
		if a.Type == gjson.False {
			return a
		}
		if a.IsObject() {
			out = a
		}
	}
	return out
}

func (g *schemaGen) array(dst []byte, s gjson.Result, depth int) []byte {
	minItems, maxItems := 0, -1
	if v, ok := intValue(s.Get("minItems")); ok && v > 0 {
		minItems = int(min(v, maxGeneratedItem))
	}
	if v, ok := intValue(s.Get("maxItems")); ok && v >= 0 {
		maxItems = int(min(v, maxGeneratedItem))
	}
	prefix := s.Get("prefixItems")
	items := s.Get("items")
	if items.IsArray() { // draft-04..07 tuple form
		prefix, items = items, s.Get("additionalItems")
	}
	nPrefix := 0
	if prefix.IsArray() {
		nPrefix = int(prefix.Get("#").Int())
	}
	n := max(minItems, nPrefix)
	if n == 0 && depth < optionalDepth && g.nodes < nodeBudget {
		n = 1
	}
	if items.Type == gjson.False && n > nPrefix {
		n = nPrefix
	}
	if maxItems >= 0 && n > maxItems {
		n = maxItems
	}
	dst = append(dst, '[')
	for i := 0; i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		sub := items
		if i < nPrefix {
			sub = prefix.Get(strconv.Itoa(i))
		}
		if !sub.Exists() {
			sub = gjson.Result{Type: gjson.True, Raw: "true"}
		}
		dst = g.value(dst, sub, depth+1)
	}
	return append(dst, ']')
}

func (g *schemaGen) anyString(dst []byte) []byte {
	dst = append(dst, '"')
	dst = append(dst, words[g.next()%uint64(len(words))]...)
	return append(dst, '"')
}

func (g *schemaGen) str(dst []byte, s gjson.Result) []byte {
	switch s.Get("format").Str {
	case "date-time":
		return append(dst, `"2025-01-02T03:04:05Z"`...)
	case "date":
		return append(dst, `"2025-01-02"`...)
	case "time":
		return append(dst, `"03:04:05Z"`...)
	case "email":
		return append(dst, `"sim@example.com"`...)
	case "uri", "url", "uri-reference", "iri":
		return append(dst, `"https://example.com/sim"`...)
	case "hostname":
		return append(dst, `"example.com"`...)
	case "ipv4":
		return append(dst, `"192.0.2.1"`...)
	case "ipv6":
		return append(dst, `"2001:db8::1"`...)
	case "uuid":
		dst = append(dst, '"')
		start := len(dst)
		dst = appendHex32(dst, g.next(), g.next())
		uuid := append([]byte(nil), dst[start:]...)
		dst = append(dst[:start], uuid[0:8]...)
		dst = append(append(dst, '-'), uuid[8:12]...)
		dst = append(append(dst, '-', '4'), uuid[13:16]...)
		dst = append(append(dst, '-', '8'), uuid[17:20]...)
		dst = append(append(dst, '-'), uuid[20:32]...)
		return append(dst, '"')
	}
	minLen, maxLen := 0, -1
	if v, ok := intValue(s.Get("minLength")); ok && v > 0 {
		minLen = int(min(v, maxModelLen))
	}
	if v, ok := intValue(s.Get("maxLength")); ok && v >= 0 {
		maxLen = int(min(v, maxModelLen))
	}
	dst = append(dst, '"')
	start := len(dst)
	dst = appendLower(dst, g.next(), 1+int(g.next()%3))
	for len(dst)-start < minLen {
		dst = append(dst, 'x')
	}
	if maxLen >= 0 && len(dst)-start > maxLen {
		dst = dst[:start+maxLen]
	}
	return append(dst, '"')
}

func (g *schemaGen) number(dst []byte, s gjson.Result, integer bool) []byte {
	lo, hi := math.Inf(-1), math.Inf(1)
	loEx, hiEx := false, false
	if v := s.Get("minimum"); v.Type == gjson.Number {
		lo = v.Num
	}
	if v := s.Get("maximum"); v.Type == gjson.Number {
		hi = v.Num
	}
	switch v := s.Get("exclusiveMinimum"); v.Type {
	case gjson.Number: // draft 6+
		if v.Num >= lo {
			lo, loEx = v.Num, true
		}
	case gjson.True: // draft 4
		loEx = true
	}
	switch v := s.Get("exclusiveMaximum"); v.Type {
	case gjson.Number:
		if v.Num <= hi {
			hi, hiEx = v.Num, true
		}
	case gjson.True:
		hiEx = true
	}
	step := 0.0
	if v := s.Get("multipleOf"); v.Type == gjson.Number && v.Num > 0 {
		step = v.Num
	}
	if integer && step == 0 {
		step = 1
	}
	v := pickNumber(float64(g.next()%100), lo, hi, loEx, hiEx, step)
	if integer || v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return strconv.AppendInt(dst, int64(v), 10)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

// pickNumber moves want into the allowed range, onto a multiple of step when step > 0.
func pickNumber(want, lo, hi float64, loEx, hiEx bool, step float64) float64 {
	inRange := func(v float64) bool {
		return (v > lo || !loEx && v == lo) && (v < hi || !hiEx && v == hi)
	}
	v := want
	if !inRange(v) {
		switch {
		case !math.IsInf(lo, 0) && !math.IsInf(hi, 0):
			v = lo + (hi-lo)/2
		case !math.IsInf(lo, 0):
			v = lo + 1
		default:
			v = hi - 1
		}
	}
	if step > 0 {
		k := math.Ceil(v / step)
		for i := 0; i < 3 && !inRange(k*step); i++ {
			k++
		}
		if !inRange(k * step) {
			k = math.Floor(v / step)
		}
		v = k * step
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
