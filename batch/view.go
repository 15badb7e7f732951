package batch

import (
	"strconv"
	"time"

	"sailshim/apierr"
)

// view writes batch m in the shape it was created with. full adds Sail's request_status (GET
// /v1/batches/{id}); r, when the batch runs here, marks the items in flight as RUNNING.
func (s *Service) view(m *meta, r *run, full bool) []byte {
	if m.Shape == shapeOpenAI {
		return appendOpenAI(nil, m)
	}
	b := appendSail(nil, m)
	if !full {
		return b
	}
	b = append(b[:len(b)-1], `,"request_status":{`...)
	b = s.appendRequestStatus(b, m, r)
	return append(b, "}}"...)
}

// appendSail writes Sail's batch object: {id, request_counts, created_at, label} as documented,
// plus endpoint and status (extensions, so a client can tell a finished batch without reading
// every item).
func appendSail(b []byte, m *meta) []byte {
	b = append(b, `{"id":`...)
	b = apierr.AppendString(b, m.ID)
	b = append(b, `,"object":"batch","endpoint":`...)
	b = apierr.AppendString(b, m.Endpoint)
	b = append(b, `,"status":`...)
	b = apierr.AppendString(b, m.Status)
	b = append(b, `,"request_counts":`...)
	b = strconv.AppendInt(b, int64(m.Total), 10)
	b = append(b, `,"created_at":`...)
	b = strconv.AppendInt(b, time.Unix(0, m.Created).Unix(), 10)
	b = append(b, `,"label":`...)
	b = appendNullable(b, m.Label)
	return append(b, '}')
}

// appendRequestStatus writes "custom_id":{"status":"…"} for every item, in request order.
func (s *Service) appendRequestStatus(b []byte, m *meta, r *run) []byte {
	var st itemState
	first := true
	_ = s.d.Store.KVScan(nsItems, m.ID+"/s/", func(key string, val []byte) bool {
		if decodeItem(val, &st) != nil {
			return true
		}
		status := st.status
		if status == itemPending && r != nil {
			if idx, ok := idxOf(key); ok && r.isRunning(idx) {
				status = itemRunning
			}
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = apierr.AppendString(b, st.customID)
		b = append(b, `:{"status":"`...)
		b = append(b, sailStatus(status)...)
		b = append(b, `"}`...)
		return true
	})
	return b
}

// appendOpenAI writes OpenAI's Batch object.
func appendOpenAI(b []byte, m *meta) []byte {
	b = append(b, `{"id":`...)
	b = apierr.AppendString(b, m.ID)
	b = append(b, `,"object":"batch","endpoint":`...)
	b = apierr.AppendString(b, m.Endpoint)
	b = append(b, `,"errors":`...)
	if len(m.Errors) > 0 {
		b = append(b, m.Errors...)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"input_file_id":`...)
	b = apierr.AppendString(b, m.InputFileID)
	b = append(b, `,"completion_window":`...)
	b = apierr.AppendString(b, m.Window)
	b = append(b, `,"status":`...)
	b = apierr.AppendString(b, m.Status)
	b = append(b, `,"output_file_id":`...)
	b = appendNullable(b, m.OutputFileID)
	b = append(b, `,"error_file_id":`...)
	b = appendNullable(b, m.ErrorFileID)
	b = append(b, `,"created_at":`...)
	b = strconv.AppendInt(b, time.Unix(0, m.Created).Unix(), 10)
	times := [...]struct {
		k string
		v int64
	}{
		{"in_progress_at", m.InProgressAt}, {"expires_at", time.Unix(0, m.Expires).Unix()},
		{"finalizing_at", m.FinalizingAt}, {"completed_at", m.CompletedAt}, {"failed_at", m.FailedAt},
		{"expired_at", m.ExpiredAt}, {"cancelling_at", m.CancellingAt}, {"cancelled_at", m.CancelledAt},
	}
	for _, t := range times {
		b = append(b, ',', '"')
		b = append(b, t.k...)
		b = append(b, '"', ':')
		if t.v > 0 && !(t.k == "expires_at" && m.Expires == 0) {
			b = strconv.AppendInt(b, t.v, 10)
		} else {
			b = append(b, "null"...)
		}
	}
	b = append(b, `,"request_counts":{"total":`...)
	b = strconv.AppendInt(b, int64(m.Total), 10)
	b = append(b, `,"completed":`...)
	b = strconv.AppendInt(b, int64(m.Completed), 10)
	b = append(b, `,"failed":`...)
	b = strconv.AppendInt(b, int64(m.Failed), 10)
	b = append(b, `},"metadata":`...)
	if len(m.Metadata) > 0 {
		b = append(b, m.Metadata...)
	} else {
		b = append(b, "null"...)
	}
	return append(b, '}')
}

func appendNullable(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return apierr.AppendString(b, s)
}
