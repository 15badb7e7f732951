// Package oaischema validates JSON documents against the schemas in OpenAI's published OpenAPI
// description (/work/shared/spec/openai-openapi.yaml), so tests can assert that what sailshim
// returns is exactly what the official SDKs expect.
//
// It is used by tests only: it parses an 87k-line YAML file and must never be imported by
// production code. The file is found by walking up from the working directory to go.mod and
// then to ../shared/spec/openai-openapi.yaml, or taken from $SAILSHIM_OPENAPI.
package oaischema

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// EnvPath names the environment variable that overrides where the OpenAPI file is read from.
const EnvPath = "SAILSHIM_OPENAPI"

// docURL is the identity the OpenAPI document is registered under; no I/O happens on it.
const docURL = "mem:///openai-openapi.json"

var (
	loadOnce sync.Once
	loadErr  error
	compiler *jsonschema.Compiler

	mu       sync.Mutex // guards compiled and compiler use after loading
	compiled = map[string]*jsonschema.Schema{}
)

// Validate fails tb unless doc is valid JSON that matches #/components/schemas/<name>.
func Validate(tb testing.TB, name string, doc []byte) {
	tb.Helper()
	if err := Check(name, doc); err != nil {
		tb.Errorf("%s: %v\ndocument: %s", name, err, doc)
	}
}

// Check reports whether doc matches #/components/schemas/<name>, for callers that want the error.
func Check(name string, doc []byte) error {
	sch, err := schema(name)
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := sch.Validate(v); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("does not match the schema:\n%s", ve.Error())
		}
		return err
	}
	return nil
}

func schema(name string) (*jsonschema.Schema, error) {
	loadOnce.Do(func() { compiler, loadErr = load() })
	if loadErr != nil {
		return nil, loadErr
	}
	mu.Lock()
	defer mu.Unlock()
	if s, ok := compiled[name]; ok {
		return s, nil
	}
	s, err := compiler.Compile(docURL + "#/components/schemas/" + name)
	if err != nil {
		return nil, fmt.Errorf("compile schema %s: %w", name, err)
	}
	compiled[name] = s
	return s, nil
}

func load() (*jsonschema.Compiler, error) {
	path, err := specPath()
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	doc, err := toJSONValue(&root)
	if err != nil {
		return nil, fmt.Errorf("convert %s: %w", path, err)
	}
	fixRecursiveRefs(doc)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(docURL, doc); err != nil {
		return nil, err
	}
	return c, nil
}

func specPath() (string, error) {
	if p := os.Getenv(EnvPath); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "spec", "openai-openapi.yaml"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory; set %s", EnvPath)
		}
		dir = parent
	}
}
