// Package translate owns the pure byte-to-byte rewrites between the client-facing APIs and the
// engines' OpenAI-compatible /v1/chat/completions, in both directions, and the normalisation of
// each engine dialect (vLLM, TGI, SGLang, llama.cpp, OpenAI) to what the support matrix promises.
//
// Every function here is pure: bytes in, bytes out, no I/O, no clocks, no randomness (ids and
// timestamps arrive in Meta). Functions never modify their input slices, so a retry can translate
// the same body again. Input bodies have already passed rules validation; translate still never
// panics on odd input and reports what it cannot translate as an *apierr.Error.
//
// It must not import proxy, policy, rules or store: it sits below them in the request chain.
package translate

// Dialect names the flavour of /v1/chat/completions an upstream speaks.
type Dialect string

const (
	VLLM     Dialect = "vllm"
	TGI      Dialect = "tgi"
	SGLang   Dialect = "sglang"
	LlamaCpp Dialect = "llamacpp"
	OpenAI   Dialect = "openai"
)

// Dialects lists every dialect, in the order docs show them.
var Dialects = []Dialect{VLLM, TGI, SGLang, LlamaCpp, OpenAI}

// Valid reports whether d is a known dialect.
func (d Dialect) Valid() bool {
	for _, x := range Dialects {
		if x == d {
			return true
		}
	}
	return false
}

// Meta carries what the caller decides about a reply: translation never invents ids or times.
type Meta struct {
	ID        string // the object id sailshim returns: "chatcmpl-…", "resp_…", "msg_…"
	CreatedAt int64  // unix seconds
	Model     string // the model name the client asked for (engines may report a path or alias)
}
