// Package e2e holds sailshim's end-to-end tests: they build the real binary, start `sailshim sim`
// and `sailshim serve` as processes on 127.0.0.1, and drive them with the official OpenAI and
// Anthropic Go SDKs and raw HTTP, asserting what a user of those SDKs would check.
//
// It contains no product code and nothing imports it.
package e2e
