package unirec

import (
	"strings"
	"testing"
)

// basicFlow is ipfixprobe's basic flow template in canonical order (spec §9.1).
const basicFlow = "ipaddr DST_IP,ipaddr SRC_IP,uint64 BYTES,uint64 BYTES_REV," +
	"uint64 LINK_BIT_FIELD,time TIME_FIRST,time TIME_LAST,macaddr DST_MAC," +
	"macaddr SRC_MAC,uint32 PACKETS,uint32 PACKETS_REV,uint16 DST_PORT," +
	"uint16 SRC_PORT,uint8 DIR_BIT_FIELD,uint8 PROTOCOL,uint8 TCP_FLAGS,uint8 TCP_FLAGS_REV"

func TestTemplateOrder(t *testing.T) {
	cases := []struct{ in, want string }{
		{
			"ipaddr SRC_IP,ipaddr DST_IP,uint16 SRC_PORT,uint16 DST_PORT,uint32 PACKETS," +
				"uint64 BYTES,time TIME_FIRST,time TIME_LAST,macaddr SRC_MAC," +
				"double SCORE,string NOTE",
			"ipaddr DST_IP,ipaddr SRC_IP,uint64 BYTES,double SCORE,time TIME_FIRST," +
				"time TIME_LAST,macaddr SRC_MAC,uint32 PACKETS,uint16 DST_PORT," +
				"uint16 SRC_PORT,string NOTE",
		},
		{
			"string S,bytes B,uint8* AU8,int8* AI8,uint16* AU16,int16* AI16,uint32* AU32," +
				"int32* AI32,uint64* AU64,int64* AI64,float* AF,double* AD,ipaddr* AIP," +
				"macaddr* AMAC,time* AT",
			"int8* AI8,uint8* AU8,bytes B,string S,int16* AI16,uint16* AU16,float* AF," +
				"int32* AI32,uint32* AU32,macaddr* AMAC,double* AD,int64* AI64,time* AT," +
				"uint64* AU64,ipaddr* AIP",
		},
		{
			"string SIP_CALL_ID,string SIP_CALLING_PARTY,string SIP_CALLED_PARTY",
			"string SIP_CALLED_PARTY,string SIP_CALLING_PARTY,string SIP_CALL_ID",
		},
		{"  uint8   A ,\tchar B,\n int8 C,uint8 A  ", "uint8 A,char B,int8 C"},
		{
			"ipaddr SRC_IP,ipaddr DST_IP,uint16 SRC_PORT,uint16 DST_PORT,uint8 PROTOCOL," +
				"uint32 PACKETS,uint64 BYTES,uint32 PACKETS_REV,uint64 BYTES_REV," +
				"time TIME_FIRST,time TIME_LAST,uint8 TCP_FLAGS,uint8 TCP_FLAGS_REV," +
				"uint8 DIR_BIT_FIELD,macaddr SRC_MAC,macaddr DST_MAC,uint64 LINK_BIT_FIELD",
			basicFlow,
		},
	}
	for _, c := range cases {
		tmpl, err := ParseTemplate(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := tmpl.String(); got != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

func TestBasicFlowLayout(t *testing.T) {
	tmpl, err := ParseTemplate(basicFlow)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"DST_IP": 0, "SRC_IP": 16, "BYTES": 32, "BYTES_REV": 40,
		"LINK_BIT_FIELD": 48, "TIME_FIRST": 56, "TIME_LAST": 64, "DST_MAC": 72,
		"SRC_MAC": 78, "PACKETS": 84, "PACKETS_REV": 88, "DST_PORT": 92, "SRC_PORT": 94,
		"DIR_BIT_FIELD": 96, "PROTOCOL": 97, "TCP_FLAGS": 98, "TCP_FLAGS_REV": 99}
	for name, off := range want {
		i := tmpl.Index(name)
		if i < 0 || tmpl.Field(i).Offset != off {
			t.Errorf("%s at index %d, want offset %d", name, i, off)
		}
	}
	if tmpl.StaticSize() != 100 || tmpl.FirstDynamic() != tmpl.Len() {
		t.Errorf("static size %d, first dynamic %d; want 100 and none",
			tmpl.StaticSize(), tmpl.FirstDynamic())
	}
}

func TestTemplateErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "not \"type NAME\""},
		{"uint8 A,", "not \"type NAME\""},
		{"uint9 A", "unknown unirec type \"uint9\""},
		{"uint8 1A", "invalid field name"},
		{"uint8 A-B", "invalid field name"},
		{"uint8 A,uint16 A", "defined as both uint8 and uint16"},
		{"UINT8 A", "unknown unirec type"},
	}
	for _, c := range cases {
		_, err := ParseTemplate(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.want)
		}
	}
}

func TestRegistry(t *testing.T) {
	var r Registry
	if err := r.Define("ipaddr SRC_IP,ipaddr DST_IP,uint16 SRC_PORT"); err != nil {
		t.Fatal(err)
	}
	if err := r.Define("uint16 SRC_PORT,string HOST"); err != nil {
		t.Fatal(err)
	}
	if err := r.Define("uint32 SRC_PORT"); err == nil {
		t.Error("redefining SRC_PORT with another type succeeded")
	}
	tmpl, err := r.Template("SRC_PORT, HOST\tSRC_IP,SRC_IP")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tmpl.String(), "ipaddr SRC_IP,uint16 SRC_PORT,string HOST"; got != want {
		t.Errorf("template %q, want %q", got, want)
	}
	if _, err := r.Template("SRC_IP,NOPE"); err == nil || !strings.Contains(err.Error(), "NOPE") {
		t.Errorf("undefined field: error %v", err)
	}
	wide, _ := ParseTemplate("ipaddr SRC_IP,uint16 SRC_PORT,string HOST,uint8 X")
	narrow, _ := ParseTemplate("uint16 SRC_PORT,ipaddr SRC_IP")
	if !wide.Covers(narrow) || narrow.Covers(wide) || !tmpl.Equal(tmpl) {
		t.Error("Covers or Equal is wrong")
	}
}
