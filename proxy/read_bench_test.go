package proxy

import (
	"log/slog"
	"testing"

	"github.com/valyala/fasthttp"

	"sailshim/store"
)

// BenchmarkGetResponseHot is GET /v1/responses/{id} for a response still in the LRU: auth,
// routing, ownership check and the reply, without touching disk.
func BenchmarkGetResponseHot(b *testing.B) {
	st, err := store.Open(store.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	pool, err := NewPool(PoolConfig{}, []UpstreamConfig{{URL: "http://127.0.0.1:9"}}, slog.New(slog.DiscardHandler), NewMetrics(nil))
	if err != nil {
		b.Fatal(err)
	}
	s := New(Config{Keys: []string{"sk-bench"}}, Deps{Pool: pool, Store: st, Metrics: NewMetrics(nil)})
	owner, _ := s.keys.authenticate([]byte("Bearer sk-bench"), nil)
	obj := make([]byte, 2048)
	for i := range obj {
		obj[i] = 'x'
	}
	if err := st.Put(&store.Record{ID: "resp_bench", Owner: owner, Surface: "responses", Status: "completed", Object: obj}, false); err != nil {
		b.Fatal(err)
	}
	var ctx fasthttp.RequestCtx
	b.ReportAllocs()
	for b.Loop() {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.Header.SetMethod("GET")
		ctx.Request.SetRequestURI("/v1/responses/resp_bench")
		ctx.Request.Header.Set("Authorization", "Bearer sk-bench")
		s.route(&ctx)
		if ctx.Response.StatusCode() != 200 || len(ctx.Response.Body()) != len(obj) {
			b.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}
