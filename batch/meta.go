package batch

import (
	"errors"
	"strconv"

	"github.com/tidwall/gjson"

	"sailshim/apierr"
	"sailshim/rules"
	"sailshim/store"
)

// Batch statuses. Sail's shape shows in_progress, cancelling, completed and cancelled; OpenAI's
// all of them.
const (
	statusValidating = "validating"
	statusInProgress = "in_progress"
	statusFinalizing = "finalizing"
	statusCompleted  = "completed"
	statusFailed     = "failed"
	statusExpired    = "expired"
	statusCancelling = "cancelling"
	statusCancelled  = "cancelled"
)

// meta is a batch's description and progress, kept as the Object of its store.Record. Times are
// unix seconds except Created and Expires (nanoseconds, for deadlines).
type meta struct {
	ID, Owner    string
	Shape        byte
	Endpoint     string
	Surface      rules.Surface
	Label        string // "" → null
	Window       string // the batch's window for items that name none; "" → the table's default
	Status       string
	Total        int
	Completed    int // final counts, written when the batch finishes
	Failed       int
	Cancelled    int
	Created      int64
	Expires      int64
	InProgressAt int64
	FinalizingAt int64
	CompletedAt  int64
	FailedAt     int64
	ExpiredAt    int64
	CancellingAt int64
	CancelledAt  int64
	InputFileID  string
	OutputFileID string
	ErrorFileID  string
	Metadata     []byte // the client's metadata object, or nil
	Errors       []byte // OpenAI: the JSON array of BatchError, or nil
	Webhook      string // metadata.completion_webhook, when valid
	WebhookToken string
}

func (m *meta) terminal() bool {
	switch m.Status {
	case statusCompleted, statusFailed, statusExpired, statusCancelled:
		return true
	}
	return false
}

// record wraps m for the store. Its Status is one the store knows, so Pending lists exactly the
// batches that still have work.
func (m *meta) record() *store.Record {
	st := store.StatusInProgress
	switch m.Status {
	case statusCompleted, statusExpired:
		st = store.StatusCompleted
	case statusFailed:
		st = store.StatusFailed
	case statusCancelled:
		st = store.StatusCancelled
	}
	return &store.Record{
		ID: m.ID, Owner: m.Owner, Surface: recordSurface, Status: st, Object: m.append(nil),
		Window: m.Window, CreatedAt: m.Created, Deadline: m.Expires,
	}
}

func (m *meta) append(b []byte) []byte {
	b = append(b, `{"v":1,"shape":`...)
	b = apierr.AppendString(b, string(m.Shape))
	str := func(k, v string) {
		if v != "" {
			b = append(b, ',', '"')
			b = append(b, k...)
			b = append(b, '"', ':')
			b = apierr.AppendString(b, v)
		}
	}
	num := func(k string, v int64) {
		if v != 0 {
			b = append(b, ',', '"')
			b = append(b, k...)
			b = append(b, '"', ':')
			b = strconv.AppendInt(b, v, 10)
		}
	}
	raw := func(k string, v []byte) {
		if len(v) > 0 {
			b = append(b, ',', '"')
			b = append(b, k...)
			b = append(b, '"', ':')
			b = append(b, v...)
		}
	}
	str("id", m.ID)
	str("endpoint", m.Endpoint)
	str("surface", string(m.Surface))
	str("label", m.Label)
	str("window", m.Window)
	str("status", m.Status)
	num("total", int64(m.Total))
	num("completed", int64(m.Completed))
	num("failed", int64(m.Failed))
	num("cancelled", int64(m.Cancelled))
	num("created", m.Created)
	num("expires", m.Expires)
	num("in_progress_at", m.InProgressAt)
	num("finalizing_at", m.FinalizingAt)
	num("completed_at", m.CompletedAt)
	num("failed_at", m.FailedAt)
	num("expired_at", m.ExpiredAt)
	num("cancelling_at", m.CancellingAt)
	num("cancelled_at", m.CancelledAt)
	str("input_file_id", m.InputFileID)
	str("output_file_id", m.OutputFileID)
	str("error_file_id", m.ErrorFileID)
	raw("metadata", m.Metadata)
	raw("errors", m.Errors)
	str("webhook", m.Webhook)
	str("webhook_token", m.WebhookToken)
	return append(b, '}')
}

var errBadMeta = errors.New("batch: malformed batch record")

func decodeMeta(b []byte) (*meta, error) {
	if !gjson.ValidBytes(b) {
		return nil, errBadMeta
	}
	m := &meta{}
	gjson.ParseBytes(b).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "shape":
			if len(v.Str) == 1 {
				m.Shape = v.Str[0]
			}
		case "id":
			m.ID = v.Str
		case "endpoint":
			m.Endpoint = v.Str
		case "surface":
			m.Surface = rules.Surface(v.Str)
		case "label":
			m.Label = v.Str
		case "window":
			m.Window = v.Str
		case "status":
			m.Status = v.Str
		case "total":
			m.Total = int(v.Int())
		case "completed":
			m.Completed = int(v.Int())
		case "failed":
			m.Failed = int(v.Int())
		case "cancelled":
			m.Cancelled = int(v.Int())
		case "created":
			m.Created = v.Int()
		case "expires":
			m.Expires = v.Int()
		case "in_progress_at":
			m.InProgressAt = v.Int()
		case "finalizing_at":
			m.FinalizingAt = v.Int()
		case "completed_at":
			m.CompletedAt = v.Int()
		case "failed_at":
			m.FailedAt = v.Int()
		case "expired_at":
			m.ExpiredAt = v.Int()
		case "cancelling_at":
			m.CancellingAt = v.Int()
		case "cancelled_at":
			m.CancelledAt = v.Int()
		case "input_file_id":
			m.InputFileID = v.Str
		case "output_file_id":
			m.OutputFileID = v.Str
		case "error_file_id":
			m.ErrorFileID = v.Str
		case "metadata":
			m.Metadata = []byte(v.Raw)
		case "errors":
			m.Errors = []byte(v.Raw)
		case "webhook":
			m.Webhook = v.Str
		case "webhook_token":
			m.WebhookToken = v.Str
		}
		return true
	})
	if m.ID == "" || (m.Shape != shapeSail && m.Shape != shapeOpenAI) {
		return nil, errBadMeta
	}
	return m, nil
}
