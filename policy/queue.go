package policy

import (
	"container/heap"
	"time"
)

// modelState is everything the scheduler keeps for one model: capacity is per model, so every
// dispatch decision is made within one of these.
type modelState struct {
	name    string
	running int                  // dispatched and not yet released, all classes
	queued  ticketHeap[modelPos] // every queued ticket of the model, by latest start time (promotion order)
	classes [2]classQueue        // Deferrable, Flexible: per-key sub-queues for fair choice
	est     time.Duration        // EWMA of observed service times; 0 before the first
	paceTAT time.Time            // when the next queued start is due at the paced rate (see pace.go)
}

func newModelState(name string) *modelState {
	ms := &modelState{name: name}
	for i := range ms.classes {
		ms.classes[i].keys = make(map[string]*keyQueue)
	}
	return ms
}

// ewmaShift sets the EWMA weight of a new observation to 1/4: recent enough to follow a model
// whose prompts change, smooth enough that one long request does not stall the queue's promotion.
const ewmaShift = 2

func (ms *modelState) observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	if ms.est == 0 {
		ms.est = d
		return
	}
	ms.est += (d - ms.est) >> ewmaShift
}

func (ms *modelState) expected(floor time.Duration) time.Duration {
	return max(ms.est, floor)
}

func (ms *modelState) class(c Class) *classQueue {
	if c == Flexible {
		return &ms.classes[1]
	}
	return &ms.classes[0]
}

// pick chooses the next ticket to fill a free slot: the fair choice of each class, then the one
// of the two with the earlier latest start time. Flexible work is a candidate only if flexOK.
func (ms *modelState) pick(flexOK bool) *Ticket {
	a := ms.classes[0].head()
	if !flexOK {
		return a
	}
	b := ms.classes[1].head()
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case b.before(a):
		return b
	}
	return a
}

// classQueue shares a class's free slots between keys by start-time fair queuing: every key
// carries a virtual time that grows by the expected service time of each job it gets dispatched,
// and the key with the least virtual time goes next (ties: the earliest latest start time).
// A key that starts queueing joins at the class's current virtual time, so it can neither bank
// credit while idle nor be starved by a key that queued thousands of jobs before it. Within a
// key, EDF.
type classQueue struct {
	keys map[string]*keyQueue // keys with queued or running work of this class
	fair keyHeap              // keys with queued work
	vnow time.Duration        // virtual time of the last fair dispatch
}

func (cq *classQueue) head() *Ticket {
	if len(cq.fair) == 0 {
		return nil
	}
	return cq.fair[0].jobs[0]
}

func (cq *classQueue) key(k string) *keyQueue {
	kq := cq.keys[k]
	if kq == nil {
		kq = &keyQueue{key: k, cq: cq, idx: -1}
		cq.keys[k] = kq
	}
	return kq
}

type keyQueue struct {
	key     string
	cq      *classQueue
	running int
	vtime   time.Duration // virtual time: service this key has been given
	jobs    ticketHeap[keyPos]
	idx     int // position in cq.fair; -1 when the key has nothing queued
}

func (kq *keyQueue) push(t *Ticket) {
	heap.Push(&kq.jobs, t)
	if kq.idx < 0 {
		kq.vtime = max(kq.vtime, kq.cq.vnow)
		heap.Push(&kq.cq.fair, kq)
	} else {
		heap.Fix(&kq.cq.fair, kq.idx)
	}
}

// remove takes a queued ticket out (cancelled).
func (kq *keyQueue) remove(t *Ticket) {
	heap.Remove(&kq.jobs, t.kIdx)
	if len(kq.jobs) == 0 {
		heap.Remove(&kq.cq.fair, kq.idx)
		kq.forgetIfIdle()
	} else {
		heap.Fix(&kq.cq.fair, kq.idx)
	}
}

// start takes a queued ticket out because it was dispatched, fair says by the fair choice
// (rather than promotion). The running count moves first so the key is not forgotten while it
// has work running, which keeps its virtual time.
func (kq *keyQueue) start(t *Ticket, fair bool) {
	kq.running++
	if fair {
		kq.cq.vnow = kq.vtime
	}
	kq.vtime += t.job.Expected
	kq.remove(t)
}

// finish accounts for a released ticket of this key.
func (kq *keyQueue) finish() {
	kq.running--
	kq.forgetIfIdle()
}

// forgetIfIdle drops a key with nothing queued or running, so keys do not accumulate.
func (kq *keyQueue) forgetIfIdle() {
	if kq.idx < 0 && kq.running == 0 {
		delete(kq.cq.keys, kq.key)
	}
}

// before is the EDF order: latest start time, then submission order.
func (t *Ticket) before(o *Ticket) bool {
	if !t.lst.Equal(o.lst) {
		return t.lst.Before(o.lst)
	}
	return t.seq < o.seq
}

// ticketHeap orders tickets by latest start time (EDF order). A ticket sits in two of them (its
// model's and its key's), so P names the Ticket field that keeps its position in this one, for
// heap.Remove.
type ticketHeap[P ticketPos] []*Ticket

type ticketPos interface{ of(*Ticket) *int }

type modelPos struct{} // Ticket.qIdx: the model's queue
type keyPos struct{}   // Ticket.kIdx: the key's queue in its class

func (modelPos) of(t *Ticket) *int { return &t.qIdx }
func (keyPos) of(t *Ticket) *int   { return &t.kIdx }

func (h ticketHeap[P]) Len() int           { return len(h) }
func (h ticketHeap[P]) Less(i, j int) bool { return h[i].before(h[j]) }
func (h ticketHeap[P]) Swap(i, j int) {
	var p P
	h[i], h[j] = h[j], h[i]
	*p.of(h[i]), *p.of(h[j]) = i, j
}
func (h *ticketHeap[P]) Push(x any) {
	var p P
	t := x.(*Ticket)
	*p.of(t) = len(*h)
	*h = append(*h, t)
}
func (h *ticketHeap[P]) Pop() any {
	var p P
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	*p.of(t) = -1
	return t
}

// keyHeap orders the keys of a class that have queued work: least virtual time first, then
// the earliest head.
type keyHeap []*keyQueue

func (h keyHeap) Len() int { return len(h) }
func (h keyHeap) Less(i, j int) bool {
	if h[i].vtime != h[j].vtime {
		return h[i].vtime < h[j].vtime
	}
	return h[i].jobs[0].before(h[j].jobs[0])
}
func (h keyHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *keyHeap) Push(x any) {
	k := x.(*keyQueue)
	k.idx = len(*h)
	*h = append(*h, k)
}
func (h *keyHeap) Pop() any {
	old := *h
	k := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	k.idx = -1
	return k
}
