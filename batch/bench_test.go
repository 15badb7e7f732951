package batch

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"sailshim/apierr"
)

// benchBody streams a Sail batch of n items with about 1 KB of input each.
func benchBody(n int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 256<<10)
		filler := strings.Repeat("lorem ipsum ", 1024/12+1)[:1024]
		bw.WriteString(`{"endpoint":"/v1/responses","requests":[`)
		for i := 0; i < n; i++ {
			if i > 0 {
				bw.WriteByte(',')
			}
			fmt.Fprintf(bw, `{"custom_id":"bench-%d","params":{"model":"sim-1","max_output_tokens":16,"input":"%d %s"}}`, i, i, filler)
		}
		bw.WriteString("]}")
		pw.CloseWithError(bw.Flush())
	}()
	return pr
}

// BenchmarkParseBatch is the streaming parser alone, per item (1 KB items).
func BenchmarkParseBatch(b *testing.B) {
	const n = 10000
	b.ReportAllocs()
	for b.Loop() {
		_, e := parseBatch(benchBody(n), limits{maxItems: n, maxItem: 1 << 20, maxBody: 1 << 30},
			func(*head, int, string, []byte) *apierr.Error { return nil })
		if e != nil {
			b.Fatal(e)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/item")
}

// BenchmarkCreate is POST /v1/batches end to end in the package, per item: parse, validate
// against the matrix, store (Pebble), commit. Items are held so that none runs.
func BenchmarkCreate(b *testing.B) {
	const n = 10000
	e := newEnv(b, Config{})
	e.exec.hold = func([]byte) bool { return true }
	b.ReportAllocs()
	for b.Loop() {
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod("POST")
		ctx.Request.SetRequestURI("/v1/batches")
		ctx.Request.SetBodyStream(benchBody(n), -1)
		e.s.Route(&ctx, owner, "/batches")
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("%s", ctx.Response.Body())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/item")
}
