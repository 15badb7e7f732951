package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"sailshim/sim"
)

// SimConfig is every setting of `sailshim sim` (flags, SAILSHIM_SIM_* variables, --config).
type SimConfig struct {
	Listen          string        `yaml:"listen"`
	Models          []string      `yaml:"models"`
	TokensPerSecond float64       `yaml:"tokens_per_second"`
	TTFT            time.Duration `yaml:"ttft"`
	MaxConcurrency  int           `yaml:"max_concurrency"`
	BatchKnee       int           `yaml:"batch_knee"`
	ErrorRate       float64       `yaml:"error_rate"`
	SlowRate        float64       `yaml:"slow_rate"`
	SlowFactor      float64       `yaml:"slow_factor"`
	HangRate        float64       `yaml:"hang_rate"`
	Seed            int64         `yaml:"seed"`
	LogConfig       `yaml:",inline"`
}

func runSim(args []string) error {
	c := SimConfig{Listen: "127.0.0.1:8000", LogConfig: LogConfig{Level: "info", Format: "text"}}
	l := newLayeredFlags("sim")
	fs := l.fs
	fs.StringVar(&c.Listen, "listen", c.Listen, "address to listen on (port 0 picks one)")
	l.strings(&c.Models, "model", "model id to serve (default sim-1)")
	fs.Float64Var(&c.TokensPerSecond, "tps", c.TokensPerSecond, "per-sequence decode tokens/s at batch size 1 (0: instant)")
	fs.DurationVar(&c.TTFT, "ttft", c.TTFT, "time to first token")
	fs.IntVar(&c.MaxConcurrency, "max-concurrency", c.MaxConcurrency, "running slots; more requests queue (default 64)")
	fs.IntVar(&c.BatchKnee, "batch-knee", c.BatchKnee, "batch size at which per-sequence speed halves (default 256)")
	fs.Float64Var(&c.ErrorRate, "error-rate", c.ErrorRate, "fraction of requests answered with a 500")
	fs.Float64Var(&c.SlowRate, "slow-rate", c.SlowRate, "fraction of requests that are slow")
	fs.Float64Var(&c.SlowFactor, "slow-factor", c.SlowFactor, "how much slower a slow request is (default 10)")
	fs.Float64Var(&c.HangRate, "hang-rate", c.HangRate, "fraction of requests that never answer")
	fs.Int64Var(&c.Seed, "seed", c.Seed, "seed of the random draws")
	fs.StringVar(&c.Level, "log-level", c.Level, "debug, info, warn or error")
	fs.StringVar(&c.Format, "log-format", c.Format, "text or json")
	rest, err := l.parse(args, "SAILSHIM_SIM_", &c)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected arguments %q", rest)
	}
	log, err := newLogger(os.Stderr, c.LogConfig)
	if err != nil {
		return err
	}
	s := sim.New(sim.Config{
		Models: c.Models, TokensPerSecond: c.TokensPerSecond, TTFT: c.TTFT, MaxConcurrency: c.MaxConcurrency,
		BatchKnee: c.BatchKnee, ErrorRate: c.ErrorRate, SlowRate: c.SlowRate, SlowFactor: c.SlowFactor,
		HangRate: c.HangRate, Seed: c.Seed, Logger: log,
	})
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); _ = s.Shutdown() }()
	log.Info("listening", "addr", ln.Addr().String(), "component", "sim")
	return s.Serve(ln)
}
