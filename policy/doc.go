// Package policy owns completion windows (the configurable table that names them and the
// admission rules that go with each), the deadline scheduler that decides when a request may go
// to an engine, and the per-key limits on queued work.
//
// Everything sent to an engine passes through Scheduler.Acquire and its release, so the scheduler
// counts running work itself; how much an engine can take comes in through the Capacity
// interface this package owns, which the upstream pool and its metrics scraper implement. Time
// comes through Clock so tests drive the scheduler with a fake clock.
//
// It must not import proxy, translate or store, and never reads or writes request bodies or does
// network I/O.
package policy
