package sim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// vllmError is an error the simulated engine answers with, in vLLM's envelope
// {"object":"error","message","type","param","code"}. It is not sailshim's apierr.Error on purpose:
// the proxy has to translate exactly this shape.
type vllmError struct {
	status  int
	message string
	param   string // "" → null
}

func badRequest(format string, args ...any) *vllmError {
	return &vllmError{status: http.StatusBadRequest, message: fmt.Sprintf(format, args...)}
}

func badParam(param, format string, args ...any) *vllmError {
	e := badRequest(format, args...)
	e.param = param
	return e
}

func modelNotFound(model string) *vllmError {
	return &vllmError{status: http.StatusNotFound, message: "The model `" + model + "` does not exist.", param: "model"}
}

func injectedError(status int) *vllmError {
	msg := "Simulated engine failure."
	if status < 500 {
		msg = "Simulated request rejection."
	}
	return &vllmError{status: status, message: msg}
}

// errorType names the exception class vLLM reports for a status.
func errorType(status int) string {
	switch status {
	case 400:
		return "BadRequestError"
	case 404:
		return "NotFoundError"
	case 500:
		return "InternalServerError"
	case 501:
		return "NotImplementedError"
	case 503:
		return "ServiceUnavailableError"
	}
	name := strings.ReplaceAll(http.StatusText(status), " ", "")
	name = strings.ReplaceAll(name, "-", "")
	if name == "" {
		return "Error"
	}
	if strings.HasSuffix(name, "Error") {
		return name
	}
	return name + "Error"
}

func (e *vllmError) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"object":"error","message":`...)
	dst = gjson.AppendJSONString(dst, e.message)
	dst = append(dst, `,"type":`...)
	dst = gjson.AppendJSONString(dst, errorType(e.status))
	dst = append(dst, `,"param":`...)
	if e.param == "" {
		dst = append(dst, "null"...)
	} else {
		dst = gjson.AppendJSONString(dst, e.param)
	}
	dst = append(dst, `,"code":`...)
	dst = strconv.AppendInt(dst, int64(e.status), 10)
	return append(dst, '}')
}
