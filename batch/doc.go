// Package batch owns POST /v1/batches and the Files API that OpenAI's file-based batches need:
// ingesting a batch (streamed, validated item by item, stored before anything runs), the compact
// per-item state in the store, running items with a bounded worker pool, and both wire shapes —
// Sail's ({endpoint, label, requests:[{custom_id, params}]}, answered with request_status and
// per-item response objects) and OpenAI's (a JSONL file uploaded with purpose "batch", a batch
// object that moves validating → in_progress → finalizing → completed, output and error files).
// A Sail batch is validated whole before it is committed or answered (items written while the
// body streams in are removed if a later one is refused); an OpenAI batch is
// answered "validating" and its run reads the input file into items first (its lines were
// already checked at upload; a line that no longer passes fails the batch, naming the line).
//
// It is its own package because batch ingestion, per-item state and the two wire shapes are a
// concern of their own: a 100,000-item body must never be held in memory, items must survive a
// SIGKILL and run exactly once, and none of that belongs in the single-request edge. It sits
// beside proxy at the top of the chain and must not import it: items run through the same
// pipeline as a single request (rules, the scheduler at the item's window, the upstream pool,
// translation, storage, webhooks) by way of the Executor interface declared here, which the edge
// implements. It calls rules to validate items and policy to admit their windows, keeps its state
// in the store's KV space and records, and owns no wire-format rewrite of an item's request or
// reply (translate, behind the Executor, does that).
//
// # Storage
//
// A batch is a store.Record (Surface "batch", Object = the batch's metadata as JSON) so that
// Store.Get serves polls from the cache and Store.Pending lists unfinished batches at start-up.
// Items live in the KV namespace "batch", keyed by batch id:
//
//	<id>/s/<idx:8 hex>     item state: status, named window, custom_id, error (a few dozen bytes)
//	<id>/p/<idx:8 hex>     the item's request body, deleted once the item is finished
//	<id>/c/<custom_id>     the item's index, for GET /v1/batches/{id}/{custom_id}
//
// plus "batchidx" (per-owner listing, newest first), "batchingest" (a marker while a batch is
// being ingested, so a crash mid-upload is cleaned up at the next start) and "file" (Files API
// metadata; file contents live under Config.DataDir/files). An item's object id is derived from
// the batch id and its index, so the state needs no id of its own.
package batch
