package batch

import (
	"encoding/binary"
	"errors"
)

// Item statuses as stored. "running" is never stored: it is what this process is doing now
// (run.running), and a restart runs such items again.
const (
	itemPending   byte = 'p'
	itemCompleted byte = 'c'
	itemFailed    byte = 'f'
	itemCancelled byte = 'x'
	itemExpired   byte = 'e' // OpenAI shape: not started before the batch expired
	itemRunning   byte = 'r' // views only
)

const itemVersion = 1

// itemState is one item's compact record: a status byte, the window the item named ("" → the
// batch's), its custom_id and, for a failed item, the error's HTTP status and JSON object.
type itemState struct {
	status   byte
	window   string
	customID string
	errCode  int    // HTTP status of the failure
	errObj   []byte // {"message","type","param","code"}
}

func (st *itemState) append(dst []byte) []byte {
	dst = append(dst, itemVersion, st.status)
	dst = binary.AppendUvarint(dst, uint64(len(st.window)))
	dst = append(dst, st.window...)
	dst = binary.AppendUvarint(dst, uint64(len(st.customID)))
	dst = append(dst, st.customID...)
	if st.errCode != 0 {
		dst = binary.AppendUvarint(dst, uint64(st.errCode))
		dst = append(dst, st.errObj...)
	}
	return dst
}

var errBadState = errors.New("batch: malformed item state")

// decodeItem reads b into st. The strings are copies; errObj aliases b.
func decodeItem(b []byte, st *itemState) error {
	*st = itemState{}
	if len(b) < 2 || b[0] != itemVersion {
		return errBadState
	}
	st.status = b[1]
	b = b[2:]
	var ok bool
	if st.window, b, ok = readString(b); !ok {
		return errBadState
	}
	if st.customID, b, ok = readString(b); !ok {
		return errBadState
	}
	if len(b) > 0 {
		code, n := binary.Uvarint(b)
		if n <= 0 {
			return errBadState
		}
		st.errCode, st.errObj = int(code), b[n:]
	}
	return nil
}

func readString(b []byte) (string, []byte, bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return "", nil, false
	}
	return string(b[k : k+int(n)]), b[k+int(n):], true
}

// finished reports whether an item has reached a final status.
func finished(status byte) bool {
	return status != itemPending && status != itemRunning
}

// sailStatus is the request_status value of an item, as Sail spells it.
func sailStatus(status byte) string {
	switch status {
	case itemPending:
		return "PENDING"
	case itemRunning:
		return "RUNNING"
	case itemCompleted:
		return "COMPLETED"
	case itemCancelled:
		return "CANCELLED"
	}
	return "FAILED"
}

// objectStatus is the status an item's response object shows while it has no stored object.
func objectStatus(status byte) string {
	switch status {
	case itemPending:
		return "pending"
	case itemRunning:
		return "running"
	case itemCompleted:
		return "completed"
	case itemCancelled:
		return "cancelled"
	}
	return "failed"
}
