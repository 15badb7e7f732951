package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"sailshim/loadtest"
)

// runLoad is `sailshim load`: the completion-windows scenario benchmark (docs/BENCHMARKS.md).
// It runs this same binary as the engine simulator and as the proxy, so what it measures is
// exactly what was built.
func runLoad(args []string) error {
	c := loadtest.DefaultConfig()
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	e := &c.Engine
	fs.Float64Var(&e.TokensPerSecond, "tps", e.TokensPerSecond, "sim: per-sequence decode tokens/s at batch size 1")
	fs.DurationVar(&e.TTFT, "ttft", e.TTFT, "sim: time to first token")
	fs.IntVar(&e.MaxConcurrency, "max-concurrency", e.MaxConcurrency, "sim: running slots (also the upstream's concurrency in serve)")
	fs.IntVar(&e.BatchKnee, "batch-knee", e.BatchKnee, "sim: other sequences at which per-sequence speed halves")
	fs.Float64Var(&c.AsapLoad, "asap-load", c.AsapLoad, "asap arrival rate as a fraction of the engine's full-batch capacity")
	fs.Float64Var(&c.StreamLoad, "stream-load", c.StreamLoad, "15m arrival rate as a fraction of capacity")
	fs.IntVar(&c.Backlog, "backlog", c.Backlog, "24h background requests submitted when the mixed phase starts")
	fs.IntVar(&c.AsapTokens, "asap-tokens", c.AsapTokens, "completion tokens of each asap request")
	fs.IntVar(&c.StreamTokens, "stream-tokens", c.StreamTokens, "completion tokens of each 15m request")
	fs.IntVar(&c.BacklogTokens, "backlog-tokens", c.BacklogTokens, "completion tokens of each 24h request")
	fs.DurationVar(&c.Window15m, "window-15m", c.Window15m, "deadline the 15m window is compressed to")
	fs.DurationVar(&c.Window24h, "window-24h", c.Window24h, "deadline the 24h window is compressed to")
	fs.IntVar(&c.AsapReserve, "asap-reserve", c.AsapReserve, "serve --asap-reserve (0: serve's default)")
	fs.DurationVar(&c.RefreshEvery, "refresh-every", c.RefreshEvery, "serve --refresh-every: engine load scrape period")
	fs.DurationVar(&c.SampleEvery, "sample-every", c.SampleEvery, "sampling period of queue depth and utilisation")
	fs.DurationVar(&c.Warmup, "warmup", c.Warmup, "asap-only time before the baseline is measured")
	fs.DurationVar(&c.Baseline, "baseline", c.Baseline, "asap-only measured baseline")
	fs.DurationVar(&c.Tail, "tail", c.Tail, "asap and 15m traffic kept up after the backlog drained")
	fs.DurationVar(&c.MaxMixed, "max-mixed", c.MaxMixed, "give up when the backlog has not drained after this long (0: the 24h window + 1m)")
	fs.IntVar(&c.Submitters, "submitters", c.Submitters, "concurrent connections submitting the backlog")
	fs.Int64Var(&c.Seed, "seed", c.Seed, "seed of the arrival processes")
	fs.StringVar(&c.WorkDir, "work-dir", "", "keep the data dir and the processes' logs here (default: a temporary dir, removed)")
	svg := fs.String("svg", "scenario.svg", "write the plot here ('' for none)")
	md := fs.Bool("markdown", false, "also print the figures as Markdown tables")
	check := fs.Bool("check", false, "exit with status 1 when a goal is missed")
	quiet := fs.Bool("quiet", false, "no progress lines")
	fs.Func("serve-arg", "extra flag for 'sailshim serve', e.g. --serve-arg=--log-level=debug (repeatable)", func(s string) error {
		c.ServeArgs = append(c.ServeArgs, s)
		return nil
	})
	fs.Func("sim-arg", "extra flag for 'sailshim sim' (repeatable)", func(s string) error {
		c.SimArgs = append(c.SimArgs, s)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the sailshim binary to run: %w", err)
	}
	c.Binary = bin
	if !*quiet {
		c.Progress = os.Stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	rep, runErr := loadtest.Run(ctx, c)
	if rep == nil {
		return runErr
	}
	rep.WriteText(os.Stdout)
	if *md {
		fmt.Println()
		rep.WriteMarkdown(os.Stdout)
	}
	if *svg != "" {
		if err := writePlot(*svg, rep); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "plot written to", *svg)
	}
	if runErr != nil {
		return runErr
	}
	if *check {
		for _, g := range rep.Goals() {
			if !g.Met {
				return exitCode(1)
			}
		}
	}
	return nil
}

func writePlot(path string, rep *loadtest.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := rep.WritePlot(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
