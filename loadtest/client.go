package loadtest

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/tidwall/gjson"
	"github.com/valyala/fasthttp"
)

// The API keys of the three kinds of traffic: separate keys, as separate tenants would have, so
// the scheduler's per-key fairness and queue caps see them as distinct.
const (
	keyAsap    = "sk-load-asap"
	keyStream  = "sk-load-15m"
	keyBacklog = "sk-load-24h"
	loadModel  = "sim-1"
)

// client talks to one server over a pool of keep-alive connections.
type client struct {
	hc *fasthttp.HostClient
}

func newClient(addr string, conns int) *client {
	return &client{hc: &fasthttp.HostClient{
		Addr:                     addr,
		MaxConns:                 conns,
		MaxIdleConnDuration:      time.Minute,
		ReadTimeout:              15 * time.Minute,
		WriteTimeout:             time.Minute,
		MaxConnWaitTimeout:       time.Minute,
		NoDefaultUserAgentHeader: true,
	}}
}

// do sends one request and returns the status and a copy of the body.
func (c *client) do(method, path, key string, body []byte) (int, []byte, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://" + c.hc.Addr + path)
	req.Header.SetMethod(method)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBodyRaw(body)
	}
	if err := c.hc.Do(req, resp); err != nil {
		return 0, nil, err
	}
	return resp.StatusCode(), append([]byte(nil), resp.Body()...), nil
}

// responseBody is a Responses API request that makes the simulator generate exactly tokens
// tokens; n varies the text so replies differ.
func responseBody(window string, background bool, tokens, n int) []byte {
	b := make([]byte, 0, 192)
	b = append(b, `{"model":"`+loadModel+`","input":"[sim:tokens=`...)
	b = strconv.AppendInt(b, int64(tokens), 10)
	b = append(b, `] load request `...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `","background":`...)
	b = strconv.AppendBool(b, background)
	b = append(b, `,"metadata":{"completion_window":"`...)
	b = append(b, window...)
	return append(b, `"}}`...)
}

// create posts a Responses request and returns the response id and status.
func (c *client) create(key string, body []byte) (id, status string, err error) {
	code, reply, err := c.do(fasthttp.MethodPost, "/v1/responses", key, body)
	if err != nil {
		return "", "", err
	}
	if code != 200 && code != 202 {
		return "", "", fmt.Errorf("POST /v1/responses: %d %s", code, truncate(reply, 200))
	}
	r := gjson.GetManyBytes(reply, "id", "status")
	return r[0].String(), r[1].String(), nil
}

// status is the current status of a stored response.
func (c *client) status(key, id string) (string, error) {
	code, reply, err := c.do(fasthttp.MethodGet, "/v1/responses/"+id, key, nil)
	if err != nil {
		return "", err
	}
	if code != 200 {
		return "", fmt.Errorf("GET /v1/responses/%s: %d %s", id, code, truncate(reply, 200))
	}
	return gjson.GetBytes(reply, "status").String(), nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// serveMetrics is what the harness reads from sailshim's /metrics.
type serveMetrics struct {
	Depth      map[string]float64 // sailshim_scheduler_queue_depth by window
	Misses     map[string]float64 // sailshim_scheduler_deadline_misses_total by window
	Dispatched map[string]float64 // sailshim_scheduler_dispatched_total by "window/reason"
}

func (c *client) scrapeServe() (serveMetrics, error) {
	code, body, err := c.do(fasthttp.MethodGet, "/metrics", "", nil)
	if err != nil {
		return serveMetrics{}, err
	}
	if code != 200 {
		return serveMetrics{}, fmt.Errorf("GET /metrics: %d", code)
	}
	tp := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := tp.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return serveMetrics{}, fmt.Errorf("parsing sailshim /metrics: %w", err)
	}
	m := serveMetrics{Depth: map[string]float64{}, Misses: map[string]float64{}, Dispatched: map[string]float64{}}
	for _, mt := range fams["sailshim_scheduler_queue_depth"].GetMetric() {
		m.Depth[label(mt.GetLabel(), "window")] += mt.GetGauge().GetValue()
	}
	for _, mt := range fams["sailshim_scheduler_deadline_misses_total"].GetMetric() {
		m.Misses[label(mt.GetLabel(), "window")] += mt.GetCounter().GetValue()
	}
	for _, mt := range fams["sailshim_scheduler_dispatched_total"].GetMetric() {
		k := label(mt.GetLabel(), "window") + "/" + label(mt.GetLabel(), "reason")
		m.Dispatched[k] += mt.GetCounter().GetValue()
	}
	return m, nil
}

type labelPair interface {
	GetName() string
	GetValue() string
}

func label[L labelPair](ls []L, name string) string {
	for _, l := range ls {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// simStats is the part of the simulator's /sim/stats the harness uses.
type simStats struct {
	Running, Waiting, MaxConcurrency int
	SlotSeconds, UptimeSeconds       float64
	Completed, TokensGenerated       int64
}

func (c *client) simStats() (simStats, error) {
	code, body, err := c.do(fasthttp.MethodGet, "/sim/stats", "", nil)
	if err != nil {
		return simStats{}, err
	}
	if code != 200 {
		return simStats{}, fmt.Errorf("GET /sim/stats: %d", code)
	}
	r := gjson.GetManyBytes(body, "running", "waiting", "max_concurrency", "slot_seconds", "uptime_seconds", "completed", "tokens_generated")
	return simStats{
		Running: int(r[0].Int()), Waiting: int(r[1].Int()), MaxConcurrency: int(r[2].Int()),
		SlotSeconds: r[3].Float(), UptimeSeconds: r[4].Float(), Completed: r[5].Int(), TokensGenerated: r[6].Int(),
	}, nil
}
