package sim

import (
	"testing"

	"github.com/tidwall/gjson"
)

const personSchema = `{"type":"object","properties":{
  "name":{"type":"string","minLength":3,"maxLength":20},
  "age":{"type":"integer","minimum":0,"maximum":130},
  "email":{"type":"string","format":"email"},
  "tags":{"type":"array","items":{"type":"string"},"minItems":2},
  "address":{"$ref":"#/$defs/address"},
  "status":{"enum":["active","retired"]}
 },"required":["name","age","email","tags","address","status"],"additionalProperties":false,
 "$defs":{"address":{"type":"object","properties":{"street":{"type":"string"},"zip":{"type":"string","pattern":"^[0-9a-z ]*$"}},
   "required":["street","zip"],"additionalProperties":false}}}`

func TestGenerateSatisfiesSchema(t *testing.T) {
	cases := []struct{ name, schema string }{
		{"person with $defs ref", personSchema},
		{"definitions ref (draft-07 style)", `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object",
			"properties":{"item":{"$ref":"#/definitions/item"}},"required":["item"],
			"definitions":{"item":{"type":"object","properties":{"id":{"type":"integer","exclusiveMinimum":10}},"required":["id"]}}}`},
		{"scalars", `{"type":"object","properties":{"s":{"type":"string"},"n":{"type":"number"},"i":{"type":"integer"},
			"b":{"type":"boolean"},"z":{"type":"null"}},"required":["s","n","i","b","z"]}`},
		{"const and enum", `{"type":"object","properties":{"kind":{"const":"point"},"unit":{"enum":[1,"two",null]}},"required":["kind","unit"]}`},
		{"anyOf nullable (pydantic Optional)", `{"type":"object","properties":{"note":{"anyOf":[{"type":"string"},{"type":"null"}]}},"required":["note"]}`},
		{"oneOf first branch", `{"oneOf":[{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false},{"type":"string"}]}`},
		{"allOf merges objects", `{"allOf":[{"$ref":"#/$defs/base"},{"type":"object","properties":{"extra":{"type":"boolean"}},"required":["extra"]}],
			"$defs":{"base":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}}}`},
		{"type list", `{"type":["null","integer"],"minimum":5}`},
		{"array bounds", `{"type":"array","items":{"type":"integer","multipleOf":7,"minimum":10},"minItems":3,"maxItems":3}`},
		{"empty array allowed by maxItems 0", `{"type":"array","items":{"type":"string"},"maxItems":0}`},
		{"tuple with prefixItems", `{"type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":false,"minItems":2}`},
		{"nested arrays of objects", `{"type":"object","properties":{"rows":{"type":"array","minItems":2,"items":{"type":"object",
			"properties":{"cells":{"type":"array","items":{"type":"number","maximum":-3}}},"required":["cells"]}}},"required":["rows"]}`},
		{"recursive optional children", `{"$ref":"#/$defs/node","$defs":{"node":{"type":"object","properties":{"value":{"type":"string"},
			"children":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["value"]}}}`},
		{"formats", `{"type":"object","properties":{"when":{"type":"string","format":"date-time"},"day":{"type":"string","format":"date"},
			"id":{"type":"string","format":"uuid"},"site":{"type":"string","format":"uri"},"ip":{"type":"string","format":"ipv4"}},
			"required":["when","day","id","site","ip"]}`},
		{"string lengths", `{"type":"object","properties":{"short":{"type":"string","maxLength":2},"long":{"type":"string","minLength":60}},"required":["short","long"]}`},
		{"numeric bounds", `{"type":"object","properties":{"p":{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":1},
			"q":{"type":"integer","minimum":1000},"r":{"type":"integer","maximum":-1000}},"required":["p","q","r"]}`},
		{"required but undeclared", `{"type":"object","required":["a","b"],"additionalProperties":{"type":"integer"}}`},
		{"minProperties", `{"type":"object","minProperties":3,"additionalProperties":{"type":"boolean"}}`},
		{"key with dots and a pointer escape", `{"type":"object","properties":{"a.b":{"$ref":"#/$defs/x~1y"}},"required":["a.b"],"$defs":{"x/y":{"type":"integer","const":4}}}`},
		{"empty schema", `{}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sch := compileSchema(t, tc.schema)
			for seed := uint64(0); seed < 20; seed++ {
				out := generate(nil, gjson.Parse(tc.schema), seed, nil)
				validate(t, sch, string(out))
			}
		})
	}
}

func TestGenerateStaysBounded(t *testing.T) {
	// Every level demands many items: the output must stop growing, valid or not.
	schema := `{"$ref":"#/$defs/a","$defs":{"a":{"type":"array","minItems":1000,"items":{"$ref":"#/$defs/a"}}}}`
	out := generate(nil, gjson.Parse(schema), 1, nil)
	if len(out) > 2*maxOutputBytes || !gjson.ValidBytes(out) {
		t.Fatalf("%d bytes, valid JSON %v", len(out), gjson.ValidBytes(out))
	}
}
