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
// formats and lengths, numeric bounds and multipleOf). Anything else (pattern, not, if/then,
// uniqueItems…) is ignored.
type schemaGen struct {
	root  gjson.Result // document $ref resolves against
	seed  uint64
	nodes int // values written; past nodeBudget, only required values are written
	start int // offset in dst where the value began
	*genStack
}

// genStack holds the generator's working state as stacks indexed by position, so a recursive
// walk allocates nothing once they have grown; a replyBuf keeps one across requests.
type genStack struct {
	kw   []keywords // the keywords of each schema being written, innermost last
	keys []string   // keys written so far in each enclosing object
	objs []int      // kw indexes of the schemas merged into an object (allOf)
}

const (
	maxSchemaDepth   = 24 // beyond it a (necessarily recursive) schema gets null
	optionalDepth    = 3  // optional properties and non-required items only above this depth
	nodeBudget       = 4096
	hardNodeBudget   = 4 * nodeBudget // past it, null: output stays bounded whatever the schema
	maxOutputBytes   = 1 << 20
	maxGeneratedItem = 64 // cap on minItems / minProperties honoured
)

// anything is the schema `true`.
var anything = gjson.Result{Type: gjson.True, Raw: "true"}

// keywords are the members of one schema object, read in a single pass.
type keywords struct {
	ref, constant, enum, typ, anyOf, oneOf, allOf                    gjson.Result
	properties, required, additional, minProperties                  gjson.Result
	items, prefixItems, additionalItems, minItems, maxItems          gjson.Result
	format, minLength, maxLength                                     gjson.Result
	minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf gjson.Result
}

func readKeywords(s gjson.Result) keywords {
	var k keywords
	s.ForEach(func(key, v gjson.Result) bool {
		switch key.Str {
		case "$ref":
			k.ref = v
		case "const":
			k.constant = v
		case "enum":
			k.enum = v
		case "type":
			k.typ = v
		case "anyOf":
			k.anyOf = v
		case "oneOf":
			k.oneOf = v
		case "allOf":
			k.allOf = v
		case "properties":
			k.properties = v
		case "required":
			k.required = v
		case "additionalProperties":
			k.additional = v
		case "minProperties":
			k.minProperties = v
		case "items":
			k.items = v
		case "prefixItems":
			k.prefixItems = v
		case "additionalItems":
			k.additionalItems = v
		case "minItems":
			k.minItems = v
		case "maxItems":
			k.maxItems = v
		case "format":
			k.format = v
		case "minLength":
			k.minLength = v
		case "maxLength":
			k.maxLength = v
		case "minimum":
			k.minimum = v
		case "maximum":
			k.maximum = v
		case "exclusiveMinimum":
			k.exclusiveMinimum = v
		case "exclusiveMaximum":
			k.exclusiveMaximum = v
		case "multipleOf":
			k.multipleOf = v
		}
		return true
	})
	return k
}

// generate appends a value satisfying schema, resolving references against schema itself. st
// may be nil.
func generate(dst []byte, schema gjson.Result, seed uint64, st *genStack) []byte {
	if st == nil {
		st = &genStack{}
	}
	g := schemaGen{root: schema, seed: seed, start: len(dst), genStack: st}
	g.kw, g.keys, g.objs = g.kw[:0], g.keys[:0], g.objs[:0]
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
	g.kw = append(g.kw, readKeywords(s))
	ki := len(g.kw) - 1
	defer func() { g.kw = g.kw[:ki] }()
	k := &g.kw[ki]
	if k.ref.Type == gjson.String {
		return g.value(dst, g.resolve(k.ref.Str), depth+1)
	}
	if k.constant.Exists() {
		return append(dst, k.constant.Raw...)
	}
	if k.enum.IsArray() {
		if v := nth(k.enum, g.next()); v.Exists() {
			return append(dst, v.Raw...)
		}
	}
	typ := k.schemaType()
	if typ == "" {
		for _, alt := range [2]gjson.Result{k.anyOf, k.oneOf} {
			if first := nth(alt, 0); first.Exists() {
				return g.value(dst, first, depth+1)
			}
		}
	}
	if k.allOf.IsArray() {
		return g.allOf(dst, ki, typ, depth)
	}
	return g.typed(dst, ki, typ, depth)
}

// nth is element i mod len of an array, without building a slice.
func nth(arr gjson.Result, i uint64) gjson.Result {
	if !arr.IsArray() {
		return gjson.Result{}
	}
	n := uint64(0)
	arr.ForEach(func(_, _ gjson.Result) bool { n++; return true })
	if n == 0 {
		return gjson.Result{}
	}
	i %= n
	var out gjson.Result
	arr.ForEach(func(_, v gjson.Result) bool {
		if i == 0 {
			out = v
			return false
		}
		i--
		return true
	})
	return out
}

func (g *schemaGen) typed(dst []byte, ki int, typ string, depth int) []byte {
	switch typ {
	case "object":
		start := len(g.objs)
		g.objs = append(g.objs, ki)
		dst = g.object(dst, start, depth)
		g.objs = g.objs[:start]
		return dst
	case "array":
		return g.array(dst, &g.kw[ki], depth)
	case "string":
		return g.str(dst, &g.kw[ki])
	case "integer":
		return g.number(dst, &g.kw[ki], true)
	case "number":
		return g.number(dst, &g.kw[ki], false)
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
// The branches' keywords go on the kw stack above ki and are popped by value.
func (g *schemaGen) allOf(dst []byte, ki int, typ string, depth int) []byte {
	start := len(g.objs)
	defer func() { g.objs = g.objs[:start] }()
	g.objs = append(g.objs, ki)
	objects := typ == "object" || typ == ""
	g.kw[ki].allOf.ForEach(func(_, b gjson.Result) bool {
		for i := 0; i < maxSchemaDepth && b.IsObject(); i++ {
			ref := b.Get(`\$ref`)
			if ref.Type != gjson.String {
				break
			}
			b = g.resolve(ref.Str)
		}
		g.kw = append(g.kw, readKeywords(b))
		t := g.kw[len(g.kw)-1].schemaType()
		objects = objects && (t == "object" || t == "")
		g.objs = append(g.objs, len(g.kw)-1)
		return true
	})
	switch {
	case len(g.objs)-start == 1:
		return g.typed(dst, ki, typ, depth)
	case objects:
		return g.object(dst, start, depth)
	case typ == "":
		first := g.objs[start+1]
		return g.typed(dst, first, g.kw[first].schemaType(), depth+1)
	}
	return g.typed(dst, ki, typ, depth)
}

// schemaType is the schema's type, inferred from its keywords when absent; a type list gives its
// first non-null member.
func (k *keywords) schemaType() string {
	t := k.typ
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
	case k.properties.Exists(), k.required.Exists(), k.additional.Exists():
		return "object"
	case k.items.Exists(), k.prefixItems.Exists():
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
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return anything
	}
	cur := g.root
	for rest != "" {
		var seg string
		seg, rest, _ = strings.Cut(rest, "/")
		if strings.Contains(seg, "~") {
			seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		}
		cur = child(cur, seg)
		if !cur.Exists() {
			return anything
		}
	}
	return cur
}

// child looks a key up without gjson path syntax, so keys with dots or wildcards work.
func child(v gjson.Result, key string) gjson.Result {
	if v.IsArray() {
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 {
			return gjson.Result{}
		}
		return nth(v, uint64(i))
	}
	var out gjson.Result
	v.ForEach(func(k, val gjson.Result) bool {
		if k.Str == key {
			out = val
			return false
		}
		return true
	})
	return out
}

// required reports whether any merged schema requires key.
func (g *schemaGen) required(parts []int, key string) bool {
	for _, p := range parts {
		found := false
		g.kw[p].required.ForEach(func(_, r gjson.Result) bool {
			found = r.Str == key
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// hasKey reports whether the object begun at keys[from] already has key.
func (g *schemaGen) hasKey(from int, key string) bool {
	for _, k := range g.keys[from:] {
		if k == key {
			return true
		}
	}
	return false
}

func (g *schemaGen) member(dst []byte, from int, key string, sub gjson.Result, depth int) []byte {
	if len(g.keys) > from {
		dst = append(dst, ',')
	}
	dst = gjson.AppendJSONString(dst, key)
	dst = append(dst, ':')
	g.keys = append(g.keys, key)
	return g.value(dst, sub, depth+1)
}

// object writes an object satisfying every schema in objs[from:] at once.
func (g *schemaGen) object(dst []byte, from int, depth int) []byte {
	parts := g.objs[from:len(g.objs):len(g.objs)]
	keysFrom := len(g.keys)
	defer func() { g.keys = g.keys[:keysFrom] }()
	shallow := depth < optionalDepth && g.nodes < nodeBudget
	dst = append(dst, '{')
	for _, p := range parts {
		g.kw[p].properties.ForEach(func(k, sub gjson.Result) bool {
			if !g.hasKey(keysFrom, k.Str) && (shallow || g.required(parts, k.Str)) {
				dst = g.member(dst, keysFrom, k.Str, sub, depth)
			}
			return true
		})
	}
	extra := g.additional(parts)
	for _, p := range parts {
		g.kw[p].required.ForEach(func(_, k gjson.Result) bool {
			if k.Type == gjson.String && !g.hasKey(keysFrom, k.Str) {
				dst = g.member(dst, keysFrom, k.Str, extra, depth)
			}
			return true
		})
	}
	if extra.Type != gjson.False {
		minProps := 0
		for _, p := range parts {
			if m, ok := intValue(g.kw[p].minProperties); ok && int(m) > minProps {
				minProps = min(int(m), maxGeneratedItem)
			}
		}
		for i := 0; len(g.keys)-keysFrom < minProps; i++ {
			if key := "key" + strconv.Itoa(i); !g.hasKey(keysFrom, key) {
				dst = g.member(dst, keysFrom, key, extra, depth)
			}
		}
	}
	return append(dst, '}')
}

// additional is the schema for properties beyond "properties": false when any part forbids them.
func (g *schemaGen) additional(parts []int) gjson.Result {
	out := anything
	for _, p := range parts {
		a := g.kw[p].additional
		if a.Type == gjson.False {
			return a
		}
		if a.IsObject() {
			out = a
		}
	}
	return out
}

func (g *schemaGen) array(dst []byte, k *keywords, depth int) []byte {
	minItems, maxItems := 0, -1
	if v, ok := intValue(k.minItems); ok && v > 0 {
		minItems = int(min(v, maxGeneratedItem))
	}
	if v, ok := intValue(k.maxItems); ok && v >= 0 {
		maxItems = int(min(v, maxGeneratedItem))
	}
	prefix, items := k.prefixItems, k.items
	if items.IsArray() { // draft-04..07 tuple form
		prefix, items = items, k.additionalItems
	}
	nPrefix := 0
	if prefix.IsArray() {
		prefix.ForEach(func(_, _ gjson.Result) bool { nPrefix++; return true })
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
			sub = nth(prefix, uint64(i))
		}
		if !sub.Exists() {
			sub = anything
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

func (g *schemaGen) str(dst []byte, k *keywords) []byte {
	switch k.format.Str {
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
		return g.uuid(dst)
	}
	minLen, maxLen := 0, -1
	if v, ok := intValue(k.minLength); ok && v > 0 {
		minLen = int(min(v, maxModelLen))
	}
	if v, ok := intValue(k.maxLength); ok && v >= 0 {
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

// uuid appends a version-4 shaped UUID.
func (g *schemaGen) uuid(dst []byte) []byte {
	var hex [32]byte
	appendHex32(hex[:0], g.next(), g.next())
	hex[12], hex[16] = '4', '8'
	dst = append(dst, '"')
	for i, c := range hex {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			dst = append(dst, '-')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

func (g *schemaGen) number(dst []byte, k *keywords, integer bool) []byte {
	lo, hi := math.Inf(-1), math.Inf(1)
	loEx, hiEx := false, false
	if k.minimum.Type == gjson.Number {
		lo = k.minimum.Num
	}
	if k.maximum.Type == gjson.Number {
		hi = k.maximum.Num
	}
	switch v := k.exclusiveMinimum; v.Type {
	case gjson.Number: // draft 6+
		if v.Num >= lo {
			lo, loEx = v.Num, true
		}
	case gjson.True: // draft 4
		loEx = true
	}
	switch v := k.exclusiveMaximum; v.Type {
	case gjson.Number:
		if v.Num <= hi {
			hi, hiEx = v.Num, true
		}
	case gjson.True:
		hiEx = true
	}
	step := 0.0
	if v := k.multipleOf; v.Type == gjson.Number && v.Num > 0 {
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
