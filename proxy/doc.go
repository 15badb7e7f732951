// Package proxy owns sailshim's HTTP edge: routing, authentication, the per-surface handlers, the
// background job runner, and the upstream pool (model discovery, least-in-flight balancing, one
// circuit breaker per upstream, retries).
//
// It is the top of the request chain: it calls rules (validate), policy (schedule), translate
// (rewrite) and the upstreams, then hands results to the store and the webhook sender through
// small interfaces declared here. It must not contain matrix logic (rules owns it), wire-format
// rewrites (translate owns them) or persistence formats (store owns them); handlers never format
// error envelopes by hand (apierr does).
package proxy
