package batch

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"

	"github.com/tidwall/gjson"

	"sailshim/apierr"
)

func lineWhere(n int) string { return "Line " + strconv.Itoa(n) }

// readLines calls fn with each non-blank line of r (line ending removed), numbered from 1, and
// stops at fn's first error, which it returns with the line's number. Only one line is held.
func readLines(r io.Reader, maxLine int64, fn func(n int, line []byte) *apierr.Error) (int, *apierr.Error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				if int64(len(long)) > maxLine {
					return n, apierr.New(413, apierr.TypeInvalidRequest, "file", "request_too_large",
						"Line %d is longer than %d bytes.", n, maxLine)
				}
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err != nil && err != io.EOF {
			if errors.Is(err, errBodyTooLarge) {
				return n, apierr.New(413, apierr.TypeInvalidRequest, "file", "request_too_large", "The file is larger than the limit.")
			}
			return n, apierr.Invalid("file", "invalid_file", "The file could not be read: %v.", err)
		}
		if t := bytes.TrimSpace(line); len(t) > 0 {
			if int64(len(t)) > maxLine {
				return n, apierr.New(413, apierr.TypeInvalidRequest, "file", "request_too_large",
					"Line %d is longer than %d bytes.", n, maxLine)
			}
			if e := fn(n, t); e != nil {
				return n, e
			}
		}
		if err == io.EOF {
			return n, nil
		}
	}
}

// parseLine reads one line of a batch input file: {"custom_id", "method": "POST", "url", "body"}.
// body aliases line. Error params name the line's field; the caller adds the line number.
func parseLine(line []byte) (customID, url string, body []byte, e *apierr.Error) {
	if !gjson.ValidBytes(line) {
		return "", "", nil, apierr.Invalid("", "invalid_json", "The line is not valid JSON.")
	}
	v := gjson.ParseBytes(line)
	if !v.IsObject() {
		return "", "", nil, apierr.WrongType("", "a JSON object {custom_id, method, url, body}")
	}
	var cid, method, u, b gjson.Result
	v.ForEach(func(k, val gjson.Result) bool {
		var dst *gjson.Result
		switch k.Str {
		case "custom_id":
			dst = &cid
		case "method":
			dst = &method
		case "url":
			dst = &u
		case "body":
			dst = &b
		default:
			e = apierr.Unknown(k.Str)
			return false
		}
		if dst.Exists() {
			e = apierr.BadValue(k.Str, "'%s' appears more than once; send each field once.", k.Str)
			return false
		}
		*dst = val
		return true
	})
	if e != nil {
		return "", "", nil, e
	}
	switch {
	case !cid.Exists() || cid.Type == gjson.Null:
		return "", "", nil, apierr.Missing("custom_id")
	case cid.Type != gjson.String:
		return "", "", nil, apierr.WrongType("custom_id", "a string")
	case cid.Str == "":
		return "", "", nil, apierr.BadValue("custom_id", "custom_id must not be empty.")
	case len(cid.Str) > maxCustomID:
		return "", "", nil, apierr.BadValue("custom_id", "custom_id is at most %d bytes long.", maxCustomID)
	case !method.Exists() || method.Type == gjson.Null:
		return "", "", nil, apierr.Missing("method")
	case method.Type != gjson.String || method.Str != "POST":
		return "", "", nil, apierr.BadValue("method", "method must be \"POST\".")
	case !u.Exists() || u.Type == gjson.Null:
		return "", "", nil, apierr.Missing("url")
	case u.Type != gjson.String:
		return "", "", nil, apierr.WrongType("url", "a string")
	case !b.Exists() || b.Type == gjson.Null:
		return "", "", nil, apierr.Missing("body")
	case !b.IsObject():
		return "", "", nil, apierr.WrongType("body", "an object (a request body for url)")
	}
	body = []byte(b.Raw)
	if b.Index > 0 && b.Index+len(b.Raw) <= len(line) {
		body = line[b.Index : b.Index+len(b.Raw)]
	}
	return cid.Str, u.Str, body, nil
}

// checkLine validates line n of an input file: structure, its url (equal to endpoint when one
// is given), custom_id uniqueness and the body against the matrix. It returns the custom_id, the
// window the body names and the body.
func (in *ingest) checkLine(n int, line []byte, endpoint string) (string, string, []byte, *apierr.Error) {
	cid, url, body, e := parseLine(line)
	if e != nil {
		return "", "", nil, in.itemErr(n, "", e)
	}
	sf, ok := surfaceFor(url)
	if !ok {
		return "", "", nil, in.itemErr(n, "", badEndpoint("url", url))
	}
	if endpoint != "" && url != endpoint {
		return "", "", nil, in.itemErr(n, "", apierr.BadValue("url",
			"The url %q differs from the batch's endpoint %q; every line of a batch must target its endpoint.", url, endpoint))
	}
	if e := in.unique(n, cid, "custom_id"); e != nil {
		return "", "", nil, e
	}
	in.surface = sf
	window, e := in.validate(n, body, "body")
	if e != nil {
		return "", "", nil, e
	}
	return cid, window, body, nil
}
