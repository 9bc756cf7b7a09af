package service

import (
	"encoding/json"
	"testing"
)

func TestPercentIsReal(t *testing.T) {
	cases := []struct {
		p    Percent
		want string
	}{{0, "0.0"}, {100, "100.0"}, {12.5, "12.5"}, {1e-7, "1e-07"}}
	for _, c := range cases {
		b, err := json.Marshal(c.p)
		if err != nil || string(b) != c.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", float64(c.p), b, err, c.want)
		}
	}
}

func TestMarshalEmptyListsAreArrays(t *testing.T) {
	r := Report{Out: []Output{{ID: "none", Type: 'b'}}}
	b, err := Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"in_cnt":0,"out_cnt":0,"in":[],"out":[{"num_clients":0,"ifc_id":"none",` +
		`"ifc_type":98,"sent-messages":0,"dropped-messages":0,"buffers":0,` +
		`"autoflushes":0,"client_stats_arr":[]}]}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	if r.Out[0].ClientStats != nil {
		t.Fatal("Marshal changed the caller's report")
	}
}

func TestClientEntries(t *testing.T) {
	b, err := json.Marshal([]any{SocketInputSummary(3, 30, 10), NewSocketClient(77, 2, 5, 0),
		NewTLSClient(9, 1, 3, 1)})
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"id":"extended_input_interface_info","sent_containers":"3",` +
		`"sent_messages":"30","skipped_messages":"10","skipped_percentage":25.0},` +
		`{"id":77,"sent_containers":"2","sent_messages":"5","skipped_messages":"0",` +
		`"skipped_percentage":0.0},{"id":9,"sent_containers":1,"sent_messages":3,` +
		`"skipped_messages":1,"skipped_percentage":25.0}]`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}
