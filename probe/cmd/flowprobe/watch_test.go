package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/flowprobe/flowprobe/exporter/ipfix"
)

// TestCollectorEvents feeds successive readings of an IPFIX exporter's counters and
// checks that each event is logged once.
func TestCollectorEvents(t *testing.T) {
	steps := []struct {
		st   ipfix.Stats
		want string // "" for no log line
	}{
		{ipfix.Stats{}, ""},
		{ipfix.Stats{Connects: 1, Connected: true}, "IPFIX collector connected"},
		{ipfix.Stats{Connects: 1, Connected: true, RecordsSent: 10}, ""},
		{ipfix.Stats{Connects: 1, Disconnects: 1, Buffered: 5}, "IPFIX collector lost"},
		{ipfix.Stats{Connects: 1, Disconnects: 1, Buffered: 9}, ""},
		{ipfix.Stats{Connects: 2, Disconnects: 1, Connected: true}, "IPFIX collector back"},
		{ipfix.Stats{Connects: 2, Disconnects: 1, Connected: true, Refused: 1},
			"refuses datagrams"},
		{ipfix.Stats{Connects: 2, Disconnects: 1, Connected: true, Refused: 3}, ""},
		{ipfix.Stats{Connects: 2, Disconnects: 1, Connected: true, Refused: 3,
			RecordsSent: 20}, "accepts datagrams again"},
	}
	var buf bytes.Buffer
	log := zerolog.New(&buf)
	var s collectorState
	for i, step := range steps {
		buf.Reset()
		s.update(&log, "ipfix:x", step.st)
		got := strings.TrimSpace(buf.String())
		if step.want == "" && got != "" || !strings.Contains(got, step.want) ||
			strings.Count(got, "\n") > 0 {
			t.Errorf("step %d: logged %q, want one line with %q", i, got, step.want)
		}
	}
}

func TestErrorLimiter(t *testing.T) {
	var buf bytes.Buffer
	log := zerolog.New(&buf)
	l := newErrorLimiter(&log, newOutputSet(nil))
	for range 5 {
		l.report(0, errors.New("collector refused"))
	}
	l.report(1, errors.New("disk full"))
	if n := strings.Count(buf.String(), "export failed"); n != 2 {
		t.Errorf("%d lines logged for 6 errors on 2 outputs within %v, want 2:\n%s", n,
			errorLogInterval, buf.String())
	}
}
