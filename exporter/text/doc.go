// Package text writes flow records as text: an aligned table for people, CSV, or JSON
// lines (one JSON object per flow) for programs. Every field of flow.Record is written;
// addresses are printed as text and times as RFC 3339 in UTC with microseconds.
//
// Column and key names follow NEMEA's UniRec field names where one exists (SRC_IP,
// BYTES_REV, TIME_FIRST, ...), so that scripts written for NEMEA outputs read them.
package text
