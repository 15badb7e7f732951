package policy_test

import (
	"context"
	"fmt"
	"time"

	"sailshim/policy"
)

type fixedCapacity struct{ slots int }

func (c fixedCapacity) Limit(string) (int, bool) { return c.slots, true }

func Example() {
	ws, err := policy.ParseWindows("asap=0:immediate,priority=1m:deferrable:nobatch,standard=5m:deferrable,flex=24h:flexible:background")
	if err != nil {
		panic(err)
	}
	table, err := policy.NewWindowTable(ws, "standard")
	if err != nil {
		panic(err)
	}

	// At the edge: the request's metadata.completion_window, its background flag, batch or not.
	if _, e := table.Admit("flex", false, false); e != nil {
		fmt.Println(e.Status, e.Param)
	}
	w, _ := table.Admit("", false, false)

	clk := policy.NewFakeClock(time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC))
	s := policy.NewScheduler(policy.SchedulerConfig{}, fixedCapacity{slots: 4}, clk)
	release, err := s.Acquire(context.Background(), policy.Job{ID: "resp_1", Key: "key_1", Model: "llama", Window: w})
	if err != nil {
		panic(err)
	}
	// ... call the upstream ...
	release()
	fmt.Println(w.Name, s.Stats().Dispatched.Free)
	// Output:
	// 400 metadata.completion_window
	// standard 1
}
