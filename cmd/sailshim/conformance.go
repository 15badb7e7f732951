package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"text/tabwriter"
	"time"

	"sailshim/conformance"
)

// ConformanceConfig is every setting of `sailshim conformance` (flags, SAILSHIM_CONFORMANCE_*
// variables, --config).
type ConformanceConfig struct {
	BaseURL       string        `yaml:"base_url"`
	APIKey        string        `yaml:"api_key"`
	Model         string        `yaml:"model"`
	Surface       string        `yaml:"surface"`
	JSON          string        `yaml:"json"`
	Only          string        `yaml:"only"`
	Concurrency   int           `yaml:"concurrency"`
	Timeout       time.Duration `yaml:"timeout"`
	WebhookListen string        `yaml:"webhook_listen"`
	WebhookURL    string        `yaml:"webhook_url"`
	List          bool          `yaml:"list"`
}

func conformanceFlags(c *ConformanceConfig) *layeredFlags {
	l := newLayeredFlags("conformance")
	fs := l.fs
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "root URL of the server under test, e.g. http://127.0.0.1:8080 (required)")
	fs.StringVar(&c.APIKey, "api-key", c.APIKey, "API key, sent as 'Authorization: Bearer <key>' (required)")
	fs.StringVar(&c.Model, "model", c.Model, "model every case asks for (required)")
	fs.StringVar(&c.Surface, "surface", c.Surface, "comma-separated surfaces to check: responses, chat, messages, batch")
	fs.StringVar(&c.JSON, "json", c.JSON, "also write a machine-readable report to this file")
	fs.StringVar(&c.Only, "only", c.Only, "run only the cases whose ID or matrix row matches this regular expression")
	fs.IntVar(&c.Concurrency, "concurrency", c.Concurrency, "cases in flight at once")
	fs.DurationVar(&c.Timeout, "timeout", c.Timeout, "time limit of one case")
	fs.StringVar(&c.WebhookListen, "webhook-listen", c.WebhookListen,
		"address of a webhook receiver this command starts so webhook delivery is checked (e.g. 127.0.0.1:0)")
	fs.StringVar(&c.WebhookURL, "webhook-url", c.WebhookURL,
		"base URL at which the server under test reaches --webhook-listen (default http://<its address>)")
	fs.BoolVar(&c.List, "list", c.List, "list the selected cases without running them")
	return l
}

func runConformance(args []string) error {
	c := ConformanceConfig{Surface: "responses,chat,messages,batch", Concurrency: 8, Timeout: 60 * time.Second}
	rest, err := conformanceFlags(&c).parse(args, "SAILSHIM_CONFORMANCE_", &c)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected arguments %q", rest)
	}
	opts, err := c.options()
	if err != nil {
		return err
	}
	if c.List {
		return listCases(os.Stdout, conformance.Select(conformance.All(), opts.Surfaces, opts.Only))
	}
	if c.BaseURL == "" || c.Model == "" || c.APIKey == "" {
		return errors.New("--base-url, --api-key and --model are required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := conformance.Run(ctx, opts, conformance.All())
	if err != nil {
		return err
	}
	if len(rep.Results) == 0 {
		return errors.New("no case matches --surface and --only")
	}
	if err := rep.WriteTable(os.Stdout); err != nil {
		return err
	}
	if c.JSON != "" {
		if err := writeReport(c.JSON, rep); err != nil {
			return err
		}
	}
	if rep.Failed > 0 || ctx.Err() != nil {
		return exitCode(1)
	}
	return nil
}

// options turns the flags into the runner's options.
func (c ConformanceConfig) options() (conformance.Options, error) {
	o := conformance.Options{
		BaseURL: c.BaseURL, APIKey: c.APIKey, Model: c.Model, Concurrency: c.Concurrency, Timeout: c.Timeout,
		WebhookListen: c.WebhookListen, WebhookURL: c.WebhookURL,
	}
	s, err := conformance.ParseSurfaces(c.Surface)
	if err != nil {
		return o, fmt.Errorf("--surface: %w", err)
	}
	if len(s) == 0 {
		return o, errors.New("--surface names no surface")
	}
	o.Surfaces = s
	if c.Only != "" {
		if o.Only, err = regexp.Compile(c.Only); err != nil {
			return o, fmt.Errorf("--only: %w", err)
		}
	}
	if c.Concurrency < 1 {
		return o, errors.New("--concurrency must be at least 1")
	}
	if c.Timeout <= 0 {
		return o, errors.New("--timeout must be positive")
	}
	return o, nil
}

func writeReport(path string, rep *conformance.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--json: %w", err)
	}
	if err := rep.WriteJSON(f); err != nil {
		f.Close()
		return fmt.Errorf("--json: %w", err)
	}
	return f.Close()
}

func listCases(w io.Writer, cases []conformance.Case) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tSECTION\tROW")
	for _, k := range cases {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k.ID, k.Section, k.Row)
	}
	return tw.Flush()
}
