// Package rules owns the support matrix as data (one table per surface: field → supported,
// rejected with a reason, or accepted under a constraint) and the validator that applies it to a
// request body in one gjson walk.
//
// It decides only whether a request is acceptable and extracts the few facts later stages need
// (Request). It must not rewrite bodies (translate does), schedule (policy does) or do I/O, and
// must not import policy, translate, proxy or store.
package rules

// Surface names a client-facing API.
type Surface string

const (
	Chat      Surface = "chat"
	Responses Surface = "responses"
	Messages  Surface = "messages"
	Batch     Surface = "batch"
)

// Request is what validation learned about a body that passed, so later stages need not parse
// it again. Strings may alias the body's memory only if documented; here they are copies.
type Request struct {
	Surface      Surface
	Model        string
	Window       string // metadata.completion_window, or Config.DefaultWindow when absent
	Webhook      string // metadata.completion_webhook when it is a valid http(s) URL, else ""
	WebhookToken string // metadata.webhook_token
	Background   bool   // Responses "background": true
}

// Reset clears r for reuse.
func (r *Request) Reset() { *r = Request{} }
