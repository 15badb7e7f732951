package batch

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"time"

	"sailshim/apierr"
)

// outFile is an output or error file being written; it is created on its first line.
type outFile struct {
	s        *Service
	id       string
	filename string
	f        *os.File
	w        *bufio.Writer
	n        int64
	err      error
}

func (o *outFile) line(b []byte) {
	if o.err != nil {
		return
	}
	if o.f == nil {
		o.f, o.err = os.Create(o.s.filePath(o.id) + ".part")
		if o.err != nil {
			return
		}
		o.w = bufio.NewWriterSize(o.f, 256<<10)
	}
	b = append(b, '\n')
	_, o.err = o.w.Write(b)
	o.n += int64(len(b))
}

// close puts the file in place and records it; it reports whether the file exists.
func (o *outFile) close(owner string) (bool, error) {
	if o.f == nil {
		return false, o.err
	}
	if o.err == nil {
		o.err = o.w.Flush()
	}
	if o.err == nil {
		o.err = o.f.Sync()
	}
	if err := o.f.Close(); o.err == nil {
		o.err = err
	}
	if o.err == nil {
		o.err = os.Rename(o.s.filePath(o.id)+".part", o.s.filePath(o.id))
	}
	if _, err := o.s.d.Store.KVGet(nsFiles, "m/"+o.id); o.err == nil && err != nil {
		// Not recorded yet (a restart rewriting the same file finds it recorded).
		_, o.err = o.s.saveFile(owner, o.id, o.filename, "batch_output", o.n, time.Now())
	}
	if o.err != nil {
		_ = os.Remove(o.s.filePath(o.id) + ".part")
		return false, o.err
	}
	return true, nil
}

// writeOutputs writes an OpenAI batch's output file (requests that got a reply) and error file
// (the rest), one line per item in input order, in OpenAI's format:
// {"id", "custom_id", "response": {"status_code", "request_id", "body"} | null, "error": {"code", "message"} | null}.
func (s *Service) writeOutputs(r *run) (out, errs bool, err error) {
	m := r.m
	o := &outFile{s: s, id: m.OutputFileID, filename: m.ID + "_output.jsonl"}
	e := &outFile{s: s, id: m.ErrorFileID, filename: m.ID + "_error.jsonl"}
	var st itemState
	var b []byte
	for c := uint32(0); c < r.chunks(); c++ {
		serr := s.d.Store.KVScan(nsItems, chunkPrefix(m.ID, c), func(key string, val []byte) bool {
			idx, ok := idxOf(key)
			if !ok || decodeItem(val, &st) != nil || !finished(st.status) {
				return true
			}
			objID := itemObjectID(idPrefix(m.Surface), m.ID, idx)
			b = appendLineHead(b[:0], lineID(m.ID, idx), st.customID)
			switch st.status {
			case itemCompleted:
				rec, gerr := s.d.Store.Get(objID)
				if gerr != nil {
					b = appendLineError(b, "response_missing", "The stored response could not be read.")
					e.line(b)
					return true
				}
				b = appendResponse(b, 200, objID, rec.Object, nil)
				o.line(b)
			case itemCancelled:
				b = appendLineError(b, "batch_cancelled", "This request was not executed because the batch was cancelled.")
				e.line(b)
			case itemExpired:
				b = appendLineError(b, "batch_expired", "This request could not be executed before the batch's completion window expired.")
				e.line(b)
			default:
				code := st.errCode
				if code == 0 {
					code = 500
				}
				b = appendResponse(b, code, objID, nil, st.errObj)
				e.line(b)
			}
			return true
		})
		if serr != nil {
			return false, false, serr
		}
	}
	if out, err = o.close(m.Owner); err != nil {
		return false, false, fmt.Errorf("output file: %w", err)
	}
	if errs, err = e.close(m.Owner); err != nil {
		return false, false, fmt.Errorf("error file: %w", err)
	}
	return out, errs, nil
}

func appendLineHead(b []byte, id, customID string) []byte {
	b = append(b, `{"id":`...)
	b = apierr.AppendString(b, id)
	b = append(b, `,"custom_id":`...)
	return apierr.AppendString(b, customID)
}

// appendResponse ends a line with a response: the stored object, or {"error": errObj}.
func appendResponse(b []byte, status int, requestID string, obj, errObj []byte) []byte {
	b = append(b, `,"response":{"status_code":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"request_id":`...)
	b = apierr.AppendString(b, requestID)
	b = append(b, `,"body":`...)
	if obj != nil {
		b = append(b, obj...)
	} else {
		b = append(b, `{"error":`...)
		if len(errObj) == 0 {
			errObj = []byte(`null`)
		}
		b = append(b, errObj...)
		b = append(b, '}')
	}
	return append(b, `},"error":null}`...)
}

// appendLineError ends a line for a request that got no response.
func appendLineError(b []byte, code, msg string) []byte {
	b = append(b, `,"response":null,"error":{"code":`...)
	b = apierr.AppendString(b, code)
	b = append(b, `,"message":`...)
	b = apierr.AppendString(b, msg)
	return append(b, `}}`...)
}
