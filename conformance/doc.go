// Package conformance owns the executable support matrix: one or more hand-written cases for
// every row of every table in Sail's support matrix (and the batch facts it refers to), and the
// runner behind `sailshim conformance` that sends them to any server claiming the Sail API and
// reports a verdict row by row.
//
// The cases are written from the document, not derived from sailshim's own tables, so that they
// catch a wrong rules table rather than repeat it. For the same reason the package talks HTTP
// only: it must not import rules, translate, proxy or any other sailshim package, and it knows
// nothing of how a server is built. It is not on any request path, so it uses net/http and
// encoding/json freely.
//
// Cases tolerate the output of real models: they check shapes, statuses and the promises of the
// matrix, never generated text. Where a case needs a tool call or a length cut it asks for it in a
// way every engine honours (tool_choice "required", a small token cap) and adds the simulator's
// steering directives ([sim:tokens=N]) only as a hint that a real model reads as harmless text.
package conformance
