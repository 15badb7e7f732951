package sim

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/gjson"
	"github.com/valyala/fasthttp"
)

// Server is one simulated engine. It is safe for concurrent use.
type Server struct {
	cfg       Config
	log       *slog.Logger
	models    map[string]*modelCounters
	modelList []*modelCounters
	sched     *scheduler
	faults    faults
	count     counters
	started   time.Time
	now       func() time.Time // reply "created"; tests pin it
	seq       atomic.Uint64
	pool      sync.Pool // *replyBuf

	rngMu sync.Mutex
	rng   *rand.Rand

	modelsBody []byte
	metrics    fasthttp.RequestHandler

	done     chan struct{} // closed by Shutdown
	mu       sync.Mutex
	shutdown bool
	servers  []*fasthttp.Server
	lns      []net.Listener

	onChange func() // test hook: running, waiting or hung changed
}

// New builds a simulated engine; it serves nothing until Serve or Handler is used.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		models:  make(map[string]*modelCounters, len(cfg.Models)),
		started: time.Now(),
		now:     time.Now,
		rng:     rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5ca1ab1e)),
		done:    make(chan struct{}),
	}
	s.sched = newScheduler(cfg.MaxConcurrency, s.started)
	s.sched.onChange = s.changed
	for _, name := range cfg.Models {
		if _, dup := s.models[name]; dup {
			continue
		}
		m := &modelCounters{name: name}
		s.models[name] = m
		s.modelList = append(s.modelList, m)
	}
	s.pool.New = func() any { return &replyBuf{} }
	s.modelsBody = s.appendModels(nil)
	s.metrics = metricsHandler(s)
	return s
}

func (s *Server) changed() {
	if s.onChange != nil {
		s.onChange()
	}
}

// Handler serves every route of the simulator (see the package doc).
func (s *Server) Handler(ctx *fasthttp.RequestCtx) {
	path := ctx.Path()
	switch string(path) {
	case "/v1/chat/completions":
		if s.method(ctx, fasthttp.MethodPost) {
			s.chat(ctx)
		}
	case "/v1/models":
		if s.method(ctx, fasthttp.MethodGet) {
			ctx.SetContentType("application/json")
			ctx.SetBody(s.modelsBody)
		}
	case "/health":
		if s.method(ctx, fasthttp.MethodGet) {
			ctx.SetStatusCode(fasthttp.StatusOK)
		}
	case "/metrics":
		if s.method(ctx, fasthttp.MethodGet) {
			s.metrics(ctx)
		}
	case "/sim/faults":
		s.faultsRoute(ctx)
	case "/sim/stats":
		if s.method(ctx, fasthttp.MethodGet) {
			s.writeAdmin(ctx, s.Stats())
		}
	default:
		detail(ctx, fasthttp.StatusNotFound, "Not Found")
	}
}

// method answers 405 the way FastAPI does when the route exists under another method.
func (s *Server) method(ctx *fasthttp.RequestCtx, want string) bool {
	if string(ctx.Method()) == want || want == fasthttp.MethodGet && ctx.IsHead() {
		return true
	}
	ctx.Response.Header.Set("Allow", want)
	detail(ctx, fasthttp.StatusMethodNotAllowed, "Method Not Allowed")
	return false
}

// detail writes FastAPI's own error body, which vLLM sends for routes it does not have.
func detail(ctx *fasthttp.RequestCtx, status int, msg string) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBodyString(`{"detail":"` + msg + `"}`)
}

func (s *Server) appendModels(dst []byte) []byte {
	dst = append(dst, `{"object":"list","data":[`...)
	created := strconv.FormatInt(s.started.Unix(), 10)
	for i, m := range s.modelList {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":`...)
		dst = gjson.AppendJSONString(dst, m.name)
		dst = append(dst, `,"object":"model","created":`...)
		dst = append(dst, created...)
		dst = append(dst, `,"owned_by":"vllm","root":`...)
		dst = gjson.AppendJSONString(dst, m.name)
		dst = append(dst, `,"parent":null,"max_model_len":`...)
		dst = strconv.AppendInt(dst, maxModelLen, 10)
		dst = append(dst, `,"permission":[]}`...)
	}
	return append(dst, `]}`...)
}

// Serve answers requests on ln until Shutdown; it then returns nil.
func (s *Server) Serve(ln net.Listener) error {
	srv := &fasthttp.Server{
		Handler:            s.Handler,
		Name:               "uvicorn",
		Logger:             printfLogger{s.log},
		MaxRequestBodySize: 64 << 20,
		CloseOnShutdown:    true,
	}
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		_ = ln.Close()
		return nil
	}
	s.servers = append(s.servers, srv)
	s.lns = append(s.lns, ln)
	s.mu.Unlock()

	err := srv.Serve(ln)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return nil
	}
	return err
}

// Shutdown stops serving: pacing is cut short, queued requests are answered, hung requests are
// released without an answer, and listeners close. It waits for open connections to finish.
func (s *Server) Shutdown() error {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		return nil
	}
	s.shutdown = true
	close(s.done)
	servers, lns := s.servers, s.lns
	s.mu.Unlock()

	var first error
	for i, srv := range servers {
		if err := srv.Shutdown(); err != nil && first == nil {
			first = err
		}
		_ = lns[i].Close() // in case Serve had not reached fasthttp's accept loop yet
	}
	return first
}

// printfLogger routes fasthttp's own messages to slog.
type printfLogger struct{ log *slog.Logger }

func (l printfLogger) Printf(format string, args ...any) {
	l.log.Warn(fmt.Sprintf(format, args...), "component", "fasthttp")
}
