package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/tidwall/gjson"
)

// Client sends the cases' requests to the server under test.
type Client struct {
	BaseURL string // server root, without /v1
	APIKey  string // sent as Authorization: Bearer
	Model   string // the model every case asks for
	HTTP    *http.Client

	hooks *hookSink // nil when no webhook listener was configured
}

// maxReply bounds how much of a reply is read: a conformance run must not be sunk by a server
// that streams forever.
const maxReply = 8 << 20

// Reply is one HTTP reply, read in full.
type Reply struct {
	Method, Path string
	Status       int
	Header       http.Header
	Body         []byte
}

// Get reads a gjson path from the reply's body.
func (r *Reply) Get(path string) gjson.Result { return gjson.GetBytes(r.Body, path) }

// String describes the reply for failure details: status and a prefix of the body.
func (r *Reply) String() string {
	b := strings.Join(strings.Fields(string(r.Body)), " ")
	if len(b) > 300 {
		b = b[:300] + "…"
	}
	return fmt.Sprintf("%s %s → %d %s", r.Method, r.Path, r.Status, b)
}

// header is one request header; an empty Value removes it (e.g. Authorization), and
// apiKeyMarker stands for the client's API key (for x-api-key, which Anthropic clients send).
type header struct{ Name, Value string }

const apiKeyMarker = "\x00api-key"

// do sends body (nil, []byte, or anything encoding/json marshals) to path with the client's key
// and any extra headers, and reads the whole reply.
func (c *Client) do(ctx context.Context, method, path string, body any, hdrs ...header) (*Reply, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("encoding the request: %w", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.APIKey)
	for _, h := range hdrs {
		switch h.Value {
		case "":
			req.Header.Del(h.Name)
		case apiKeyMarker:
			req.Header.Set(h.Name, c.APIKey)
		default:
			req.Header.Set(h.Name, h.Value)
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the reply: %w", method, path, err)
	}
	return &Reply{Method: method, Path: path, Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

func (c *Client) post(ctx context.Context, path string, body any, hdrs ...header) (*Reply, error) {
	return c.do(ctx, http.MethodPost, path, body, hdrs...)
}

func (c *Client) get(ctx context.Context, path string) (*Reply, error) {
	return c.do(ctx, http.MethodGet, path, nil)
}

// M is a JSON object under construction.
type M = map[string]any

// A is a JSON array under construction.
type A = []any

// merge returns base with extra's keys set on top (a shallow copy: base is not changed).
func merge(base, extra M) M {
	out := make(M, len(base)+len(extra))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// Paths of the surfaces.
const (
	responsesPath = "/v1/responses"
	chatPath      = "/v1/chat/completions"
	messagesPath  = "/v1/messages"
	batchesPath   = "/v1/batches"
)

// responsesBody is a minimal Responses request plus extra fields.
func (c *Client) responsesBody(extra M) M {
	return merge(M{"model": c.Model, "input": "Say hello in one short sentence."}, extra)
}

// chatBody is a minimal Chat Completions request plus extra fields.
func (c *Client) chatBody(extra M) M {
	return merge(M{"model": c.Model, "messages": A{M{"role": "user", "content": "Say hello in one short sentence."}}}, extra)
}

// messagesBody is a minimal Messages request plus extra fields.
func (c *Client) messagesBody(extra M) M {
	return merge(M{"model": c.Model, "max_tokens": 64,
		"messages": A{M{"role": "user", "content": "Say hello in one short sentence."}}}, extra)
}

// body builds the minimal request of a surface with extra fields.
func (c *Client) body(s Surface, extra M) M {
	switch s {
	case Chat:
		return c.chatBody(extra)
	case Messages:
		return c.messagesBody(extra)
	}
	return c.responsesBody(extra)
}

// userText replaces the user's message text in a surface's minimal request.
func userText(s Surface, text string) M {
	switch s {
	case Responses:
		return M{"input": text}
	default:
		return M{"messages": A{M{"role": "user", "content": text}}}
	}
}

// pathOf is the create endpoint of a surface.
func pathOf(s Surface) string {
	switch s {
	case Chat:
		return chatPath
	case Messages:
		return messagesPath
	case Batch:
		return batchesPath
	}
	return responsesPath
}
