package main

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// ipfixMessage builds an IPFIX message from sets given as (set ID, body) pairs.
func ipfixMessage(sets ...[]byte) []byte {
	msg := make([]byte, msgHeaderLen)
	binary.BigEndian.PutUint16(msg[0:], ipfixVersion)
	binary.BigEndian.PutUint32(msg[12:], 1) // observation domain
	for _, s := range sets {
		msg = append(msg, s...)
	}
	binary.BigEndian.PutUint16(msg[2:], uint16(len(msg)))
	return msg
}

func set(id uint16, body ...byte) []byte {
	s := binary.BigEndian.AppendUint16(nil, id)
	s = binary.BigEndian.AppendUint16(s, uint16(setHeaderLen+len(body)))
	return append(s, body...)
}

func u16(vs ...uint16) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

var (
	// Template 256: sourceIPv4Address (4 bytes), octetDeltaCount (8), and a reverse
	// packetDeltaCount with enterprise number 29305 (8): 20-byte records.
	fixedTemplate = set(templateSetID, cat(u16(256, 3, 8, 4, 1, 8, 0x8002, 8),
		[]byte{0, 0, 0x72, 0x79})...)
	// Template 257: protocolIdentifier (1 byte) and a variable-length string.
	varTemplate = set(templateSetID, u16(257, 2, 4, 1, 82, variableLength)...)
	// Options template 258: one scope field, observationDomainId (4 bytes).
	optionsTemplate = set(optionsSetID, u16(258, 1, 1, 149, 4)...)
)

func TestRecordCounterCounts(t *testing.T) {
	cases := []struct {
		name           string
		msgs           [][]byte
		flows, options int64
		unknown, bad   int64
	}{
		{"fixed records with padding", [][]byte{
			ipfixMessage(fixedTemplate),
			ipfixMessage(set(256, make([]byte, 3*20+3)...)),
		}, 3, 0, 0, 0},
		{"template and data in one message", [][]byte{
			ipfixMessage(fixedTemplate, set(256, make([]byte, 40)...)),
		}, 2, 0, 0, 0},
		{"variable length, short and long form", [][]byte{
			ipfixMessage(varTemplate, set(257, cat([]byte{6, 3, 'a', 'b', 'c'},
				[]byte{17, 255, 0, 2, 'x', 'y'}, []byte{1, 0})...)),
		}, 3, 0, 0, 0},
		{"options records kept apart", [][]byte{
			ipfixMessage(optionsTemplate, set(258, 0, 0, 0, 1, 0, 0, 0, 2)),
		}, 0, 2, 0, 0},
		{"data before its template", [][]byte{
			ipfixMessage(set(256, make([]byte, 20)...)),
			ipfixMessage(fixedTemplate, set(256, make([]byte, 20)...)),
		}, 1, 0, 1, 0},
		{"withdrawn template", [][]byte{
			ipfixMessage(fixedTemplate),
			ipfixMessage(set(templateSetID, u16(256, 0)...), set(256, make([]byte, 20)...)),
		}, 0, 0, 1, 0},
		{"truncated record keeps the earlier ones", [][]byte{
			ipfixMessage(varTemplate, set(257, 6, 1, 'a', 17, 9, 'b')),
		}, 1, 0, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc := newRecordCounter()
			for _, m := range c.msgs {
				rc.add(m)
			}
			got := [4]int64{rc.FlowRecords, rc.OptionRecords, rc.UnknownSets, rc.Malformed}
			want := [4]int64{c.flows, c.options, c.unknown, c.bad}
			if got != want {
				t.Errorf("flow, option records, unknown sets, malformed = %v, want %v", got, want)
			}
		})
	}
}

func TestRecordCounterRefuses(t *testing.T) {
	long := ipfixMessage(fixedTemplate)
	binary.BigEndian.PutUint16(long[2:], uint16(len(long)+1))
	netflow9 := ipfixMessage(fixedTemplate)
	netflow9[1] = 9

	cases := []struct {
		name string
		msg  []byte
		want string
	}{
		{"short header", make([]byte, 10), "shorter than the IPFIX header"},
		{"NetFlow v9", netflow9, "version 9"},
		{"length beyond datagram", long, "message length field"},
		{"set overruns message", ipfixMessage([]byte{1, 0, 0, 40}), "overruns"},
		{"template id below 256", ipfixMessage(set(templateSetID, u16(255, 1, 4, 4)...)),
			"template id 255"},
		{"truncated template", ipfixMessage(set(templateSetID, u16(300, 2, 8, 4)...)),
			"field 1: truncated"},
		{"zero-length records", ipfixMessage(set(templateSetID, u16(300, 1, 8, 0)...)),
			"zero length"},
	}
	for _, c := range cases {
		rc := newRecordCounter()
		err := rc.add(c.msg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
		if rc.Malformed != 1 {
			t.Errorf("%s: Malformed = %d, want 1", c.name, rc.Malformed)
		}
	}
}

// FuzzRecordCounter feeds arbitrary datagrams, after a valid template, to the
// counter, which must refuse or count them without panicking or looping.
func FuzzRecordCounter(f *testing.F) {
	f.Add(ipfixMessage(set(256, make([]byte, 20)...)))
	f.Add(ipfixMessage(varTemplate, set(257, 6, 255, 0, 1, 'a')))
	f.Add(ipfixMessage(optionsTemplate, set(258, 0, 0, 0, 1)))
	f.Fuzz(func(t *testing.T, msg []byte) {
		rc := newRecordCounter()
		rc.add(ipfixMessage(fixedTemplate))
		before := rc.FlowRecords
		rc.add(msg)
		if max := int64(len(msg)); rc.FlowRecords+rc.OptionRecords-before > max {
			t.Fatalf("counted %d records in a %d-byte message", rc.FlowRecords-before, len(msg))
		}
	})
}
