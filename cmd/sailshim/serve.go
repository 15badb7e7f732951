package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"sailshim/batch"
	"sailshim/policy"
	"sailshim/proxy"
	"sailshim/rules"
	"sailshim/sim"
	"sailshim/store"
	"sailshim/webhook"
)

func runServe(args []string) error {
	cfg, err := loadServeConfig(args)
	if err != nil {
		return err
	}
	log, err := newLogger(os.Stderr, cfg.LogConfig)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, cfg, log)
}

// serve builds every component from cfg, serves until ctx ends, then shuts down in order.
func serve(ctx context.Context, cfg ServeConfig, log *slog.Logger) error {
	if cfg.Sim {
		url, shutdown, err := startSim(cfg.SimModels, log)
		if err != nil {
			return err
		}
		defer shutdown()
		u, _ := proxy.ParseUpstream(url)
		cfg.Upstreams = append(cfg.Upstreams, u)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := proxy.NewMetrics(reg)

	pool, err := proxy.NewPool(cfg.Pool, cfg.Upstreams, log, m)
	if err != nil {
		return err
	}
	windows, err := policy.NewWindowTable(cfg.Windows, cfg.DefaultWindow)
	if err != nil {
		return fmt.Errorf("--windows: %w", err)
	}
	validator := rules.New(rules.Config{Windows: windows.Names(), DefaultWindow: windows.Default().Name})
	sched := policy.NewScheduler(policy.SchedulerConfig{
		AsapReserve: cfg.AsapReserve, StartBurst: cfg.StartBurst, MaxQueuedPerKey: cfg.MaxQueuedPerKey,
		Registerer: reg, Logger: log,
	}, pool, policy.RealClock())
	pool.OnCapacityChange(sched.Kick)

	st, err := store.Open(store.Config{Dir: cfg.DataDir, CacheEntries: cfg.CacheEntries, Logger: log})
	if err != nil {
		return fmt.Errorf("opening the store in %s: %w", cfg.DataDir, err)
	}
	defer st.Close()
	wh, err := webhook.New(webhook.Config{
		AllowPrivate: cfg.WebhookAllowPrivate, Timeout: cfg.WebhookTimeout, Backoff: cfg.WebhookBackoff,
		Outbox: st, Logger: log, Registerer: reg,
	})
	if err != nil {
		return err
	}
	if err := wh.Start(); err != nil {
		return fmt.Errorf("starting webhook delivery: %w", err)
	}
	defer wh.Close()

	pool.Start()
	defer pool.Close()
	srv := proxy.New(proxy.Config{
		Keys: cfg.APIKeys, MaxBodyBytes: cfg.MaxBodyBytes, SyncTimeout: cfg.SyncTimeout, Logger: log,
	}, proxy.Deps{
		Pool: pool, Rules: validator, Windows: windows, Scheduler: sched, Store: st, Webhooks: wh,
		Registry: reg, Metrics: m,
	})
	// Batch items run through srv (the batch service's Executor), so the service comes second.
	batches, err := batch.New(batch.Config{DataDir: cfg.DataDir, MaxBodyBytes: cfg.BatchMaxBodyBytes, Workers: cfg.BatchWorkers}, batch.Deps{
		Exec: srv, Rules: validator, Windows: windows, Store: st, Models: pool, Webhooks: wh,
		Logger: log, Registerer: reg,
	})
	if err != nil {
		return err
	}
	defer batches.Close()
	srv.SetBatches(batches)
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	if _, err := srv.Recover(); err != nil {
		log.Error("recovering stored jobs failed", "err", err)
	}
	if err := batches.Start(); err != nil {
		log.Error("recovering stored batches failed", "err", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "upstreams", len(cfg.Upstreams), "data_dir", cfg.DataDir)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// startSim runs the engine simulator in this process on a loopback port.
func startSim(models []string, log *slog.Logger) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	s := sim.New(sim.Config{Models: models, Logger: log.With("component", "sim")})
	go func() { _ = s.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	log.Warn("USING THE BUILT-IN ENGINE SIMULATOR (--sim): replies are synthetic, not from a model", "sim_url", url)
	return url, func() { _ = s.Shutdown() }, nil
}
