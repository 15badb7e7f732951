package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options configures a run.
type Options struct {
	BaseURL string // server root, e.g. http://127.0.0.1:8080 (a trailing /v1 is tolerated)
	APIKey  string
	Model   string

	Surfaces    []Surface      // nil: all
	Only        *regexp.Regexp // nil: all; matched against the case ID and the row text
	Concurrency int            // cases in flight at once; 0 → 8
	Timeout     time.Duration  // per case; 0 → 60s
	HTTPClient  *http.Client   // nil → a client without a global timeout (cases carry their own)

	// WebhookListen, when set, starts a receiver on that address so the webhook cases check
	// delivery, not only acceptance. WebhookURL is the base URL the server under test reaches
	// it at (default http://<the listener's address>).
	WebhookListen string
	WebhookURL    string
}

// Result is the verdict of one case.
type Result struct {
	ID       string  `json:"id"`
	Surface  Surface `json:"surface"`
	Section  Section `json:"section"`
	Row      string  `json:"row"`
	Expect   string  `json:"expectation"`
	Pass     bool    `json:"pass"`
	Detail   string  `json:"detail,omitempty"`
	Duration float64 `json:"duration_ms"`
}

// Report is the outcome of a run, results in the document's order.
type Report struct {
	BaseURL  string    `json:"base_url"`
	Model    string    `json:"model"`
	Surfaces []Surface `json:"surfaces"`
	Started  time.Time `json:"started"`
	Elapsed  float64   `json:"elapsed_ms"`
	Passed   int       `json:"passed"`
	Failed   int       `json:"failed"`
	Results  []Result  `json:"results"`
}

// Failures returns the results that failed.
func (r *Report) Failures() []Result {
	var out []Result
	for _, x := range r.Results {
		if !x.Pass {
			out = append(out, x)
		}
	}
	return out
}

// Result returns the result of one case ID.
func (r *Report) Result(id string) (Result, bool) {
	for _, x := range r.Results {
		if x.ID == id {
			return x, true
		}
	}
	return Result{}, false
}

// Select keeps the cases of the given surfaces (all when nil) whose ID or row matches only.
func Select(cases []Case, surfaces []Surface, only *regexp.Regexp) []Case {
	var out []Case
	for _, c := range cases {
		if surfaces != nil && !slices.Contains(surfaces, c.Surface) {
			continue
		}
		if only != nil && !only.MatchString(c.ID) && !only.MatchString(c.Row) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// Run selects from cases by o.Surfaces and o.Only, runs them with at most o.Concurrency in
// flight, each under o.Timeout, and reports every verdict. Its error is for setup only (a bad
// base URL, a webhook listener that cannot start); failing cases are in the report.
func Run(ctx context.Context, o Options, cases []Case) (*Report, error) {
	c, stop, err := newRunClient(o)
	if err != nil {
		return nil, err
	}
	defer stop()
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	sel := Select(cases, o.Surfaces, o.Only)
	slices.SortStableFunc(sel, func(a, b Case) int { return sectionRank(a.Section) - sectionRank(b.Section) })
	surfaces := o.Surfaces
	if surfaces == nil {
		surfaces = Surfaces
	}
	rep := &Report{BaseURL: c.BaseURL, Model: o.Model, Surfaces: surfaces, Started: time.Now(), Results: make([]Result, len(sel))}
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	for i, k := range sel {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			rep.Results[i] = runOne(ctx, c, k, o.Timeout)
		})
	}
	wg.Wait()
	for _, r := range rep.Results {
		if r.Pass {
			rep.Passed++
		} else {
			rep.Failed++
		}
	}
	rep.Elapsed = ms(time.Since(rep.Started))
	return rep, nil
}

func newRunClient(o Options) (*Client, func(), error) {
	base := strings.TrimRight(o.BaseURL, "/")
	base = strings.TrimSuffix(base, "/v1")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nil, fmt.Errorf("base URL %q is not an absolute http(s) URL", o.BaseURL)
	}
	if o.Model == "" {
		return nil, nil, errors.New("no model given")
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 64}}
	}
	c := &Client{BaseURL: base, APIKey: o.APIKey, Model: o.Model, HTTP: hc}
	stop := func() {}
	if o.WebhookListen != "" {
		h, err := startHookSink(o.WebhookListen, o.WebhookURL)
		if err != nil {
			return nil, nil, fmt.Errorf("webhook listener: %w", err)
		}
		c.hooks, stop = h, h.close
	}
	return c, stop, nil
}

// runOne runs one case under its deadline; a panic in a case is its failure, not the run's.
func runOne(parent context.Context, c *Client, k Case, timeout time.Duration) (res Result) {
	res = Result{ID: k.ID, Surface: k.Surface, Section: k.Section, Row: k.Row, Expect: k.Expect}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	start := time.Now()
	defer func() {
		res.Duration = ms(time.Since(start))
		if p := recover(); p != nil {
			res.Pass, res.Detail = false, fmt.Sprintf("case panicked: %v", p)
		}
	}()
	err := k.Run(ctx, c)
	var n note
	switch {
	case err == nil:
		res.Pass = true
	case errors.As(err, &n):
		res.Pass, res.Detail = true, string(n)
	case ctx.Err() != nil && parent.Err() == nil:
		res.Detail = fmt.Sprintf("timed out after %s: %v", timeout, err)
	default:
		res.Detail = err.Error()
	}
	return res
}

// note is a passing verdict with something to say (e.g. what could not be checked).
type note string

func (n note) Error() string { return string(n) }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
