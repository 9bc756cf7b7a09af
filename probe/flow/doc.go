// Package flow holds the flow record model shared by every capture path, the flow
// cache and every exporter: the flow key, the counters of both directions, the times,
// and why a flow ended.
package flow
