// Package apierr owns the one error value every layer of sailshim returns to a client: an HTTP
// status plus OpenAI's error envelope fields (type, param, code, message).
//
// It is a leaf package of its own because every stage of the request chain (rules, policy,
// translate, proxy, store) produces client-visible errors, and the data-flow rule forbids any of
// them from importing a stage further up the chain. It must not import any other sailshim package.
package apierr

import (
	"fmt"

	"sailshim/internal/jsonw"
)

// OpenAI error types. The SDKs switch on the HTTP status, and people read the type.
const (
	TypeInvalidRequest = "invalid_request_error"
	TypeAuthentication = "authentication_error"
	TypeNotFound       = "not_found_error"
	TypeRateLimit      = "rate_limit_error"
	TypeServer         = "server_error"
	TypeUnavailable    = "service_unavailable_error"
	TypeIdempotency    = "idempotency_error"
	TypeNotImplemented = "not_implemented_error"
)

// Error is a client-visible failure. The zero Param and Code encode as JSON null.
type Error struct {
	Status  int    // HTTP status
	Type    string // OpenAI error type
	Param   string // the offending field as a path ("messages[2].content[0].type"); "" → null
	Code    string // machine-readable code; "" → null
	Message string // a sentence for a person: what was wrong and what to do instead

	// RetryAfter, when > 0, is sent as the Retry-After header (seconds) with 429 and 503.
	RetryAfter int
}

func (e *Error) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("%d %s (%s): %s", e.Status, e.Type, e.Param, e.Message)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Type, e.Message)
}

// AppendJSON appends the envelope {"error":{"message","type","param","code"}} to dst.
func (e *Error) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"error":{"message":`...)
	dst = AppendString(dst, e.Message)
	dst = append(dst, `,"type":`...)
	dst = AppendString(dst, e.Type)
	dst = append(dst, `,"param":`...)
	dst = appendNullable(dst, e.Param)
	dst = append(dst, `,"code":`...)
	dst = appendNullable(dst, e.Code)
	return append(dst, `}}`...)
}

// AppendObject appends only the inner object {"message","type","param","code"}, for places that
// embed an error (a failed response's "error" field, a batch error line).
func (e *Error) AppendObject(dst []byte) []byte {
	out := e.AppendJSON(dst)
	// strip the outer {"error": … } wrapper written above
	inner := out[len(dst)+len(`{"error":`) : len(out)-1]
	return append(dst, inner...)
}

func appendNullable(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return AppendString(dst, s)
}

// New builds an error with a formatted message.
func New(status int, typ, param, code, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Status: status, Type: typ, Param: param, Code: code, Message: msg}
}

// Invalid is a 400 invalid_request_error about param.
func Invalid(param, code, format string, args ...any) *Error {
	return New(400, TypeInvalidRequest, param, code, format, args...)
}

// Unsupported is a 400 for a field or value the support matrix rejects.
func Unsupported(param, format string, args ...any) *Error {
	return New(400, TypeInvalidRequest, param, "unsupported_parameter", format, args...)
}

// Unknown is a 400 for a field the API does not define at all.
func Unknown(param string) *Error {
	return New(400, TypeInvalidRequest, param, "unknown_parameter",
		"Unrecognized request argument supplied: %s", param)
}

// Missing is a 400 for a required field that is absent.
func Missing(param string) *Error {
	return New(400, TypeInvalidRequest, param, "missing_required_parameter",
		"Missing required parameter: '%s'.", param)
}

// WrongType is a 400 for a field of the wrong JSON type.
func WrongType(param, want string) *Error {
	return New(400, TypeInvalidRequest, param, "invalid_type",
		"Invalid type for '%s': expected %s.", param, want)
}

// BadValue is a 400 for a field whose value is outside what is allowed.
func BadValue(param, format string, args ...any) *Error {
	return New(400, TypeInvalidRequest, param, "invalid_value", format, args...)
}

// MalformedJSON is a 400 for a body that is not a JSON object.
func MalformedJSON() *Error {
	return New(400, TypeInvalidRequest, "", "invalid_json",
		"We could not parse the JSON body of your request. The body must be a JSON object.")
}

// TooLarge is a 413 for a body over the configured limit.
func TooLarge(limit int) *Error {
	return New(413, TypeInvalidRequest, "", "request_too_large",
		"The request body exceeds the limit of %d bytes.", limit)
}

// Unauthorized is a 401.
func Unauthorized(format string, args ...any) *Error {
	return New(401, TypeAuthentication, "", "invalid_api_key", format, args...)
}

// NotFound is a 404 for an object or route.
func NotFound(param, code, format string, args ...any) *Error {
	return New(404, TypeNotFound, param, code, format, args...)
}

// ModelNotFound is the 404 for a model no upstream serves.
func ModelNotFound(model string) *Error {
	return New(404, TypeInvalidRequest, "model", "model_not_found",
		"The model '%s' does not exist or is not served by any upstream.", model)
}

// NotImplemented is a 404 for an endpoint the support matrix lists as not implemented.
func NotImplemented(what string) *Error {
	return New(404, TypeNotImplemented, "", "not_implemented", "%s is not implemented.", what)
}

// Unavailable is a 503 with Retry-After.
func Unavailable(retryAfter int, format string, args ...any) *Error {
	e := New(503, TypeUnavailable, "", "upstream_unavailable", format, args...)
	e.RetryAfter = retryAfter
	return e
}

// RateLimited is a 429 with Retry-After.
func RateLimited(retryAfter int, format string, args ...any) *Error {
	e := New(429, TypeRateLimit, "", "rate_limit_exceeded", format, args...)
	e.RetryAfter = retryAfter
	return e
}

// Internal is a 500 that hides details from the client; log the cause separately.
func Internal(format string, args ...any) *Error {
	return New(500, TypeServer, "", "internal_error", format, args...)
}

// AppendString appends s as a JSON string (for the few callers outside the translators that
// write a client-supplied string into JSON).
func AppendString(dst []byte, s string) []byte { return jsonw.AppendString(dst, s) }
