package sim

import (
	"bytes"
	"encoding/json"
	"sync/atomic"
	"time"
)

// faults are the deterministic faults armed through POST /sim/faults. Each valid chat request
// takes at most one, failures first, then hangs, then slow-downs.
type faults struct {
	failNext   atomic.Int64
	failStatus atomic.Int64
	hangNext   atomic.Int64
	slowNext   atomic.Int64
	slowMin    atomic.Int64 // nanoseconds a slow fault lasts at least
}

// faultsBody is the admin wire form; nil fields are left as they are.
type faultsBody struct {
	FailNext   *int64 `json:"fail_next"`
	FailStatus *int64 `json:"fail_status"`
	HangNext   *int64 `json:"hang_next"`
	SlowNext   *int64 `json:"slow_next"`
	SlowMS     *int64 `json:"slow_ms"`
}

// takeOne decrements c if it is positive.
func takeOne(c *atomic.Int64) bool {
	for {
		n := c.Load()
		if n <= 0 {
			return false
		}
		if c.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// set applies an admin body, rejecting values that make no sense before changing anything.
func (f *faults) set(body []byte) *vllmError {
	var b faultsBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields() // a typo must not silently arm nothing
	if err := dec.Decode(&b); err != nil {
		return badRequest("Invalid faults body: %v.", err)
	}
	for _, v := range []*int64{b.FailNext, b.HangNext, b.SlowNext, b.SlowMS} {
		if v != nil && *v < 0 {
			return badRequest("Fault counts and slow_ms must not be negative.")
		}
	}
	if b.SlowMS != nil && *b.SlowMS > int64(time.Hour/time.Millisecond) {
		return badParam("slow_ms", "slow_ms must be at most one hour.")
	}
	if b.FailStatus != nil && (*b.FailStatus < 400 || *b.FailStatus > 599) {
		return badParam("fail_status", "fail_status must be between 400 and 599, got %d.", *b.FailStatus)
	}
	store := func(dst *atomic.Int64, v *int64, scale int64) {
		if v != nil {
			dst.Store(*v * scale)
		}
	}
	store(&f.failStatus, b.FailStatus, 1)
	store(&f.failNext, b.FailNext, 1)
	store(&f.hangNext, b.HangNext, 1)
	store(&f.slowNext, b.SlowNext, 1)
	store(&f.slowMin, b.SlowMS, int64(time.Millisecond))
	return nil
}

func (f *faults) appendJSON(dst []byte) []byte {
	out, _ := json.Marshal(map[string]int64{
		"fail_next":   f.failNext.Load(),
		"fail_status": f.failStatus.Load(),
		"hang_next":   f.hangNext.Load(),
		"slow_next":   f.slowNext.Load(),
		"slow_ms":     f.slowMin.Load() / int64(time.Millisecond),
	})
	return append(dst, out...)
}
