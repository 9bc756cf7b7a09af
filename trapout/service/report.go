package service

import (
	"encoding/json"
	"strconv"
)

// Report is the JSON document a module sends for CmdGetStats. Field order follows
// the order libtrap packs the keys in.
type Report struct {
	InCount  int      `json:"in_cnt"`
	OutCount int      `json:"out_cnt"`
	In       []Input  `json:"in"`
	Out      []Output `json:"out"`
}

// Input holds the counters of one input interface.
type Input struct {
	State      int    `json:"ifc_state"` // 1 while connected to its output
	ID         string `json:"ifc_id"`    // port, socket name or file name; "none" if none
	Type       int    `json:"ifc_type"`  // the type letter as a number: 't' is 116
	Messages   uint64 `json:"messages"`
	Buffers    uint64 `json:"buffers"`
	DelayLast  uint64 `json:"delay_last"`  // µs outside receive calls, per call of late
	DelayTotal uint64 `json:"delay_total"` // µs spent outside receive calls
}

// Output holds the counters of one output interface.
type Output struct {
	Clients     int    `json:"num_clients"`
	ID          string `json:"ifc_id"`
	Type        int    `json:"ifc_type"`
	Sent        uint64 `json:"sent-messages"`
	Dropped     uint64 `json:"dropped-messages"`
	Buffers     uint64 `json:"buffers"`
	Autoflushes uint64 `json:"autoflushes"`
	// ClientStats holds SocketClient values for t: and u: outputs, TLSClient values
	// for T:, and nothing for the others. It is never null.
	ClientStats []any `json:"client_stats_arr"`
}

// SocketClient is an entry of a t: or u: output's client_stats_arr. libtrap writes
// the counters as decimal strings and the percentage as a real. The first entry of
// every such output has the ID "extended_input_interface_info" and carries the
// process's socket input counters instead of a client's (see SocketInputSummary).
type SocketClient struct {
	ID              any     `json:"id"` // a number, or the string of the first entry
	SentContainers  string  `json:"sent_containers"`
	SentMessages    string  `json:"sent_messages"`
	SkippedMessages string  `json:"skipped_messages"`
	SkippedPercent  Percent `json:"skipped_percentage"`
}

// TLSClient is an entry of a T: output's client_stats_arr: the same counters as
// numbers.
type TLSClient struct {
	ID              uint32  `json:"id"`
	SentContainers  uint64  `json:"sent_containers"`
	SentMessages    uint64  `json:"sent_messages"`
	SkippedMessages uint64  `json:"skipped_messages"`
	SkippedPercent  Percent `json:"skipped_percentage"`
}

// SummaryID is the ID of the first client_stats_arr entry of a t: or u: output.
const SummaryID = "extended_input_interface_info"

// NewSocketClient makes the entry of one client of a t: or u: output.
func NewSocketClient(id uint32, containers, messages, skipped uint64) SocketClient {
	return SocketClient{ID: id, SentContainers: decimal(containers),
		SentMessages: decimal(messages), SkippedMessages: decimal(skipped),
		SkippedPercent: share(skipped, messages)}
}

// SocketInputSummary makes the first client_stats_arr entry of a t: or u: output:
// containers and messages the module's t: and u: inputs received and the messages
// they missed, under the client counters' names, as libtrap reports them.
func SocketInputSummary(containers, messages, missed uint64) SocketClient {
	return SocketClient{ID: SummaryID, SentContainers: decimal(containers),
		SentMessages: decimal(messages), SkippedMessages: decimal(missed),
		SkippedPercent: share(missed, messages)}
}

// NewTLSClient makes the entry of one client of a T: output.
func NewTLSClient(id uint32, containers, messages, skipped uint64) TLSClient {
	return TLSClient{ID: id, SentContainers: containers, SentMessages: messages,
		SkippedMessages: skipped, SkippedPercent: share(skipped, messages)}
}

func decimal(v uint64) string { return strconv.FormatUint(v, 10) }

// share is the percentage of skipped among all messages seen, 0 when there were none
// (libtrap divides by zero there only before the first message, where it keeps 0).
func share(skipped, delivered uint64) Percent {
	if skipped == 0 {
		return 0
	}
	return Percent(100 * float64(skipped) / float64(skipped+delivered))
}

// Percent is a JSON real: it is written with a fraction even when integral, as
// jansson writes reals, so that C parsers see a real and not an integer.
type Percent float64

// MarshalJSON writes p with at least one fractional digit.
func (p Percent) MarshalJSON() ([]byte, error) {
	b := strconv.AppendFloat(nil, float64(p), 'g', -1, 64)
	for _, c := range b {
		if c == '.' || c == 'e' {
			return b, nil
		}
	}
	return append(b, '.', '0'), nil
}

// Marshal encodes r with empty lists as [] and not null, as libtrap always sends
// arrays.
func Marshal(r Report) ([]byte, error) {
	if r.In == nil {
		r.In = []Input{}
	}
	r.Out = append([]Output{}, r.Out...) // filled in below without touching the caller's
	for i := range r.Out {
		if r.Out[i].ClientStats == nil {
			r.Out[i].ClientStats = []any{}
		}
	}
	return json.Marshal(r)
}
