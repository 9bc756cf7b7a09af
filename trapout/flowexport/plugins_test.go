package flowexport

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/trapout"
	"github.com/flowprobe/flowprobe/trapout/unirec"
)

// TestPluginFields exports flows with the vlan and icmp plugins' fields to a trapcap
// file and reads them back: the template is the basic one with VLAN_ID and
// L4_ICMP_TYPE_CODE in UniRec's canonical order (104-byte records), every basic field
// is as without plugins but DST_PORT of an ICMP flow, which stays 0 as in ipfixprobe,
// and the plugin fields hold the flow's VLAN ID and ICMP type and code.
func TestPluginFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.trapcap")
	e, err := Open("f:"+path, Options{LinkBitField: 1, DirBitField: 1,
		Plugins: []string{"basic", "vlan", "icmp", "vlan"}})
	if err != nil {
		t.Fatal(err)
	}
	want := testRecords()
	for i := range want {
		want[i].VLAN = uint16(100 * (i + 1))
	}
	if err := e.Export(want); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	ctx, err := trapout.Open("f:"+path, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	in := ctx.Input(0)
	var tmpl *unirec.Template
	var got []flow.Record
	for {
		rec, err := in.Recv()
		var changed *trapout.FormatChangedError
		switch {
		case errors.Is(err, io.EOF):
		case errors.As(err, &changed):
			if tmpl, err = unirec.ParseTemplate(changed.Template); err != nil {
				t.Fatal(err)
			}
			continue
		case err != nil:
			t.Fatal(err)
		default:
			i := len(got)
			if i >= len(want) {
				t.Fatalf("more records than the %d exported", len(want))
			}
			if len(rec) != 104 {
				t.Fatalf("record of %d bytes, want 104", len(rec))
			}
			checkBasicFields(t, tmpl, rec, &want[i])
			var r flow.Record
			r.VLAN = tmpl.Uint16(rec, tmpl.Index("VLAN_ID"))
			r.ICMPTypeCode = tmpl.Uint16(rec, tmpl.Index("L4_ICMP_TYPE_CODE"))
			got = append(got, r)
			continue
		}
		break
	}
	const wantSpec = "ipaddr DST_IP,ipaddr SRC_IP,uint64 BYTES,uint64 BYTES_REV," +
		"uint64 LINK_BIT_FIELD,time TIME_FIRST,time TIME_LAST,macaddr DST_MAC," +
		"macaddr SRC_MAC,uint32 PACKETS,uint32 PACKETS_REV,uint16 DST_PORT," +
		"uint16 L4_ICMP_TYPE_CODE,uint16 SRC_PORT,uint16 VLAN_ID,uint8 DIR_BIT_FIELD," +
		"uint8 PROTOCOL,uint8 TCP_FLAGS,uint8 TCP_FLAGS_REV"
	if tmpl == nil || tmpl.String() != wantSpec {
		t.Fatalf("template %v, want %s", tmpl, wantSpec)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d records, want %d", len(got), len(want))
	}
	for i, r := range got {
		icmp := uint16(0)
		if want[i].Protocol == 1 {
			icmp = want[i].ICMPTypeCode
		}
		if r.VLAN != want[i].VLAN || r.ICMPTypeCode != icmp {
			t.Errorf("record %d: VLAN_ID %d, L4_ICMP_TYPE_CODE %#x; want %d and %#x", i,
				r.VLAN, r.ICMPTypeCode, want[i].VLAN, icmp)
		}
	}
}

// TestUnknownPlugin checks that a plugin whose fields the flow record does not hold
// is refused by name, with the ones that work.
func TestUnknownPlugin(t *testing.T) {
	_, err := Open("f:"+filepath.Join(t.TempDir(), "x"), Options{Plugins: []string{"vlan", "http"}})
	if err == nil || !strings.Contains(err.Error(), `unknown plugin "http"`) ||
		!strings.Contains(err.Error(), "icmp, vlan") {
		t.Fatalf("error %v, want it to name http and the plugins there are", err)
	}
}
