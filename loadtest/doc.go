// Package loadtest is the scenario benchmark behind `sailshim load`: it starts the real sailshim
// binary twice on 127.0.0.1 — as `sim`, an engine with a continuous-batching capacity model, and
// as `serve` in front of it with a fresh data dir and a time-compressed window table — then
// drives open-loop asap traffic, an up-front backlog of background 24h work and a stream of 15m
// work over HTTP. It samples the scheduler's queue depth (sailshim's /metrics) and the engine's
// slot utilisation (the simulator's /sim/stats), and reports asap latency beside an asap-only
// baseline from the same run, utilisation while the backlog exists, backlog drain time and
// deadline misses, with an SVG plot of the run.
//
// It is a top-level package of its own because it is a load generator, not part of the product:
// it sees sailshim only through HTTP and metrics, as an operator's load test would, and imports
// no other sailshim package, so it measures the binary rather than reaching into it. Nothing but
// cmd/sailshim (the `load` subcommand) and tests may import it.
package loadtest
