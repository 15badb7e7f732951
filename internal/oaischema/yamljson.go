package oaischema

import (
	"encoding/json"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// toJSONValue converts a YAML node tree into the value shapes the validator works with
// (map[string]any, []any, string, json.Number, bool, nil). Walking nodes rather than decoding
// into any keeps numbers exact and timestamps as the strings they were written as.
func toJSONValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return toJSONValue(n.Content[0])
	case yaml.AliasNode:
		return toJSONValue(n.Alias)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := toJSONValue(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := toJSONValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			out[n.Content[i].Value] = v
		}
		return out, nil
	case yaml.ScalarNode:
		return scalar(n)
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node kind %d", n.Line, n.Kind)
}

func scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, err
		}
		return b, nil
	case "!!int", "!!float":
		s := strings.ReplaceAll(n.Value, "_", "")
		if json.Valid([]byte(s)) {
			return json.Number(s), nil
		}
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, err
		}
		return json.Number(fmt.Sprint(f)), nil
	}
	return n.Value, nil
}

// fixRecursiveRefs rewrites the draft 2019-09 $recursiveAnchor/$recursiveRef pair that a few
// component schemas use (a 2020-12 meta-schema rejects `$recursiveAnchor: true`) into a plain
// $ref to the enclosing component, which is what the pair means there.
func fixRecursiveRefs(doc any) {
	root, _ := doc.(map[string]any)
	comps, _ := root["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	for name, s := range schemas {
		rewriteRecursive(s, "#/components/schemas/"+name)
	}
}

func rewriteRecursive(v any, self string) {
	switch v := v.(type) {
	case map[string]any:
		delete(v, "$recursiveAnchor")
		if r, ok := v["$recursiveRef"]; ok {
			delete(v, "$recursiveRef")
			if r == "#" {
				v["$ref"] = self
			}
		}
		for _, c := range v {
			rewriteRecursive(c, self)
		}
	case []any:
		for _, c := range v {
			rewriteRecursive(c, self)
		}
	}
}
