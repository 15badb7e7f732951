package sim

import (
	"net"
	"os"
	"testing"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// BenchmarkChat measures one chat request through Handler on a reused RequestCtx: the
// simulator's own cost per request, without the network.
func BenchmarkChat(b *testing.B) {
	for _, name := range []string{"basic", "tool_required", "json_schema", "reasoning"} {
		b.Run(name, func(b *testing.B) {
			body, err := os.ReadFile("testdata/requests/" + name + ".json")
			if err != nil {
				b.Fatal(err)
			}
			s := New(Config{})
			var req fasthttp.Request
			req.Header.SetMethod("POST")
			req.SetRequestURI("/v1/chat/completions")
			req.SetBody(body)
			var ctx fasthttp.RequestCtx
			ctx.Init(&req, nil, nil)
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				ctx.Response.Reset()
				s.Handler(&ctx)
				if ctx.Response.StatusCode() != 200 {
					b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
				}
			}
		})
	}
}

// BenchmarkChatServed sends requests from parallel clients through an in-memory listener, the way
// a benchmark drives the simulator behind the proxy.
func BenchmarkChatServed(b *testing.B) {
	body, err := os.ReadFile("testdata/requests/basic.json")
	if err != nil {
		b.Fatal(err)
	}
	s := New(Config{MaxConcurrency: 1024})
	ln := fasthttputil.NewInmemoryListener()
	go func() { _ = s.Serve(ln) }()
	defer func() { _ = s.Shutdown() }()
	client := &fasthttp.Client{Dial: func(string) (net.Conn, error) { return ln.Dial() }, MaxConnsPerHost: 1024}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.Header.SetMethod("POST")
		req.SetRequestURI("http://sim/v1/chat/completions")
		req.SetBody(body)
		for pb.Next() {
			if err := client.Do(req, resp); err != nil || resp.StatusCode() != 200 {
				b.Errorf("status %d, %v", resp.StatusCode(), err)
				return
			}
		}
	})
}
