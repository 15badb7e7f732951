package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"sailshim/policy"
	"sailshim/proxy"
)

// ServeConfig is every setting of `sailshim serve`. Each field is a flag, a SAILSHIM_* variable
// (the flag name upper-cased, dashes as underscores) and a key of the --config YAML file.
type ServeConfig struct {
	Listen              string                 `yaml:"listen"`
	Upstreams           []proxy.UpstreamConfig `yaml:"upstreams"`
	APIKeys             []string               `yaml:"api_keys"`
	APIKeysFile         string                 `yaml:"api_keys_file"`
	DataDir             string                 `yaml:"data_dir"`
	WebhookAllowPrivate bool                   `yaml:"webhook_allow_private"`
	WebhookTimeout      time.Duration          `yaml:"webhook_timeout"`
	WebhookBackoff      time.Duration          `yaml:"webhook_backoff"`
	Sim                 bool                   `yaml:"sim"`
	SimModels           []string               `yaml:"sim_models"`
	MaxBodyBytes        int                    `yaml:"max_body_bytes"`
	SyncTimeout         time.Duration          `yaml:"sync_timeout"`
	Windows             []policy.Window        `yaml:"windows"`
	DefaultWindow       string                 `yaml:"default_window"`
	CacheEntries        int                    `yaml:"cache_entries"`
	AsapReserve         int                    `yaml:"asap_reserve"`
	StartBurst          int                    `yaml:"start_burst"`
	MaxQueuedPerKey     int                    `yaml:"max_queued_per_key"`
	BatchMaxBodyBytes   int64                  `yaml:"batch_max_body_bytes"`
	BatchWorkers        int                    `yaml:"batch_workers"`
	Pool                proxy.PoolConfig       `yaml:"pool"`
	LogConfig           `yaml:",inline"`
}

// maxBatchBody is Sail's batch body limit, also the largest body the edge reads at all.
const maxBatchBody = 256 << 20

func defaultServeConfig() ServeConfig {
	return ServeConfig{
		Listen:            "127.0.0.1:8080",
		DataDir:           "sailshim-data",
		MaxBodyBytes:      32 << 20,
		BatchMaxBodyBytes: maxBatchBody,
		SyncTimeout:       30 * time.Minute,
		Windows:           policy.DefaultWindows(),
		LogConfig:         LogConfig{Level: "info", Format: "text"},
	}
}

func serveFlags(c *ServeConfig) *layeredFlags {
	l := newLayeredFlags("serve")
	fs := l.fs
	fs.StringVar(&c.Listen, "listen", c.Listen, "address to listen on (host:port; port 0 picks one)")
	l.list("upstream", "engine base URL, optionally with options: 'http://host:8000;dialect=tgi;concurrency=8;models=a|b'",
		func(s string) error {
			u, err := proxy.ParseUpstream(s)
			if err == nil {
				c.Upstreams = append(c.Upstreams, u)
			}
			return err
		}, func() { c.Upstreams = nil }, func() string { return fmt.Sprint(len(c.Upstreams), " upstreams") })
	l.strings(&c.APIKeys, "api-key", "an accepted API key (clients send it as 'Authorization: Bearer <key>')")
	fs.StringVar(&c.APIKeysFile, "api-keys-file", c.APIKeysFile, "file with one accepted API key per line (# comments allowed)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory of the durable store (responses, jobs, webhooks)")
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", c.WebhookAllowPrivate, "allow webhooks to loopback, private and link-local addresses")
	fs.DurationVar(&c.WebhookTimeout, "webhook-timeout", c.WebhookTimeout, "timeout of one webhook delivery attempt (default 30s)")
	fs.DurationVar(&c.WebhookBackoff, "webhook-backoff", c.WebhookBackoff, "first pause before a webhook retry; doubles with jitter (default 1s)")
	fs.BoolVar(&c.Sim, "sim", c.Sim, "start the built-in engine simulator as the upstream (no GPU needed)")
	l.strings(&c.SimModels, "sim-model", "model served by --sim (default sim-1)")
	fs.IntVar(&c.MaxBodyBytes, "max-body-bytes", c.MaxBodyBytes, "largest accepted request body; larger ones get 413")
	fs.DurationVar(&c.SyncTimeout, "sync-timeout", c.SyncTimeout, "how long a sync request may wait for its window and the engine")
	fs.Func("windows", "completion window table, e.g. 'asap=0:immediate,15m=15m:deferrable,24h=24h:flexible'", func(s string) error {
		ws, err := policy.ParseWindows(s)
		if err == nil {
			c.Windows = ws
		}
		return err
	})
	fs.StringVar(&c.DefaultWindow, "default-window", c.DefaultWindow, "window of requests that name none (default 15m)")
	fs.IntVar(&c.CacheEntries, "cache-entries", c.CacheEntries, "responses kept hot in memory (default 10000)")
	fs.IntVar(&c.AsapReserve, "asap-reserve", c.AsapReserve, "slots per model kept free for asap work while deferred work waits (0: a tenth, at least 1; negative: none)")
	fs.IntVar(&c.StartBurst, "start-burst", c.StartBurst, "queued requests per model that may start back to back into idle slots before growth is paced to the batch's turnover (0: a tenth of the slots, at least 1; negative: no pacing)")
	fs.IntVar(&c.MaxQueuedPerKey, "max-queued-per-key", c.MaxQueuedPerKey, "queued requests one key may have before 429 (default 10000)")
	fs.Int64Var(&c.BatchMaxBodyBytes, "batch-max-body-bytes", c.BatchMaxBodyBytes, "largest POST /v1/batches body or batch input file (at most 256 MiB)")
	fs.IntVar(&c.BatchWorkers, "batch-workers", c.BatchWorkers, "batch items in flight per window class (deferrable, flexible) (default 256)")
	fs.DurationVar(&c.Pool.AttemptTimeout, "upstream-timeout", c.Pool.AttemptTimeout, "timeout of one upstream attempt (default 10m)")
	fs.DurationVar(&c.Pool.RetryBackoff, "retry-backoff", c.Pool.RetryBackoff, "pause before the last retry on the same upstream (default 200ms)")
	fs.DurationVar(&c.Pool.RefreshEvery, "refresh-every", c.Pool.RefreshEvery, "period of model discovery and engine load scraping (default 15s)")
	fs.StringVar(&c.Level, "log-level", c.Level, "debug, info, warn or error")
	fs.StringVar(&c.Format, "log-format", c.Format, "text or json")
	return l
}

func loadServeConfig(args []string) (ServeConfig, error) {
	c := defaultServeConfig()
	l := serveFlags(&c)
	rest, err := l.parse(args, "SAILSHIM_", &c)
	if err != nil {
		return c, err
	}
	if len(rest) > 0 {
		return c, fmt.Errorf("unexpected arguments %q", rest)
	}
	if c.APIKeysFile != "" {
		keys, err := readKeysFile(c.APIKeysFile)
		if err != nil {
			return c, err
		}
		c.APIKeys = append(c.APIKeys, keys...)
	}
	if len(c.APIKeys) == 0 {
		return c, fmt.Errorf("no API keys: pass --api-key KEY (repeatable) or --api-keys-file FILE; clients send it as 'Authorization: Bearer KEY'")
	}
	if c.BatchMaxBodyBytes <= 0 || c.BatchMaxBodyBytes > maxBatchBody {
		return c, fmt.Errorf("--batch-max-body-bytes must be from 1 to %d (256 MiB, the largest body the edge reads)", maxBatchBody)
	}
	if c.BatchWorkers < 0 {
		return c, fmt.Errorf("--batch-workers must not be negative")
	}
	if len(c.Upstreams) == 0 && !c.Sim {
		return c, fmt.Errorf("no upstream engine: pass --upstream URL (repeatable), or --sim to run against the built-in engine simulator")
	}
	return c, nil
}

func readKeysFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--api-keys-file: %w", err)
	}
	defer f.Close()
	var keys []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			keys = append(keys, line)
		}
	}
	return keys, sc.Err()
}

var _ = flag.ErrHelp
