package proxy

import (
	"sailshim/apierr"
	"sailshim/rules"
	"sailshim/translate"
)

// surface is what differs between the client APIs; everything else (auth, validation,
// idempotency, scheduling, the pool, storage, webhooks) is one path for all of them.
type surface struct {
	name     rules.Surface
	idPrefix string
	request  func(dst, body []byte, d translate.Dialect) ([]byte, *apierr.Error)
	response func(dst, engine, req []byte, d translate.Dialect, m translate.Meta) ([]byte, *apierr.Error)
	// pending writes the object for a request without an engine reply yet (queued, in_progress)
	// or one that failed; nil where the surface has no such object (its failures are only
	// errors).
	pending func(dst, req []byte, m translate.Meta, status string, e *apierr.Error) []byte
}

var (
	chatSurface = &surface{
		name: rules.Chat, idPrefix: "chatcmpl-",
		request: translate.ChatRequest, response: translate.ChatResponse,
	}
	responsesSurface = &surface{
		name: rules.Responses, idPrefix: "resp_",
		request: translate.ResponsesRequest, response: translate.ResponsesResponse,
		pending: translate.ResponsesObject,
	}
	messagesSurface = &surface{
		name: rules.Messages, idPrefix: "msg_",
		request: translate.MessagesRequest, response: translate.MessagesResponse,
	}
)

func surfaceByName(n string) *surface {
	switch rules.Surface(n) {
	case rules.Chat:
		return chatSurface
	case rules.Responses:
		return responsesSurface
	case rules.Messages:
		return messagesSurface
	}
	return nil
}
