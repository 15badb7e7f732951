// Package webhook owns completion-webhook delivery: POSTing a finished object to the URL a client
// named in metadata.completion_webhook, with its metadata.webhook_token as a bearer token.
//
// It is a top-level package because outbound delivery to third parties is a concern of its own,
// unlike anything else sailshim does: the target is chosen by the client, so every connection is
// guarded against server-side request forgery (resolved and checked at dial time, redirects
// refused, response bodies capped); deliveries must survive a restart, so they go through a
// durable outbox before anything touches the network; and failures are retried with backoff on a
// schedule that must never delay or change the client's own response.
//
// It is the last stage of the data flow (… → store → reply/webhook) and must not import proxy,
// policy, rules or translate. It knows nothing of the objects it sends: the body is opaque bytes.
// Durability comes through the small Outbox interface this package owns, which the store
// package's *store.Store satisfies with its KV methods; the package never imports store either.
package webhook
