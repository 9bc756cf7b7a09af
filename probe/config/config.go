package config

import (
	"time"

	"github.com/flowprobe/flowprobe/probe/flowcache"
)

// Config is the whole configuration file. The yaml tags are the keys of the file.
type Config struct {
	Input   Input   `yaml:"input"`
	Outputs Outputs `yaml:"outputs"`
	Cache   Cache   `yaml:"cache"`
	Log     Log     `yaml:"log"`
	Metrics Metrics `yaml:"metrics"`
}

// Input says where packets come from: a live interface or a trace file.
type Input struct {
	// Interface captures live on this interface (flag -I).
	Interface string `yaml:"interface"`
	// Trace reads a pcap or pcapng file instead (flag -r).
	Trace string `yaml:"trace"`
	// Mode is the live capture method: afpacket, afxdp or xdp (flag --mode).
	Mode string `yaml:"mode"`
	// Workers is the number of afpacket sockets and goroutines (flag -w).
	Workers int `yaml:"workers"`
	// Filter is a tcpdump-style capture filter, afpacket only (flag -f).
	Filter string `yaml:"filter"`
	// Promiscuous puts the interface into promiscuous mode (flag --promisc).
	Promiscuous bool `yaml:"promiscuous"`
	// XDPFirstPackets hands the first N packets of each flow direction whole to user
	// space in xdp mode: a count, 0 for none, or "all" (flag --xdp-first-packets).
	XDPFirstPackets string `yaml:"xdp_first_packets"`
}

// Outputs lists where flow records go. With none at all, flowprobe prints a table on
// standard output.
type Outputs struct {
	// TRAP lists TRAP output interfaces in libtrap syntax, such as "u:flows"
	// (flag -i).
	TRAP []string `yaml:"trap"`
	// TRAPPlugins names ipfixprobe process plugins whose fields the TRAP records
	// carry besides the basic template: vlan (VLAN_ID), icmp (L4_ICMP_TYPE_CODE)
	// (flag -p).
	TRAPPlugins []string `yaml:"trap_plugins"`
	// TRAPEndOfData sends NEMEA's end-of-data message at exit (the inverse of
	// flag --no-eof).
	TRAPEndOfData bool `yaml:"trap_end_of_data"`
	// IPFIX lists IPFIX collectors as HOST:PORT (flag -x).
	IPFIX []string `yaml:"ipfix"`
	// IPFIXTransport is "tcp" or "udp" (flag -u chooses udp).
	IPFIXTransport string `yaml:"ipfix_transport"`
	// IPFIXMilliseconds sends millisecond flow times (flag --ipfix-ms).
	IPFIXMilliseconds bool `yaml:"ipfix_milliseconds"`
	// ObservationDomain is the IPFIX observation domain ID (flag -O).
	ObservationDomain uint32 `yaml:"observation_domain"`
	// Text lists text outputs as FORMAT[:FILE], FORMAT being table, csv or json
	// (flag -o).
	Text []string `yaml:"text"`
}

// Cache configures the flow cache.
type Cache struct {
	// ActiveTimeout ends a flow this long after its first packet (flag --active).
	ActiveTimeout time.Duration `yaml:"active_timeout"`
	// InactiveTimeout ends a flow this long after its last packet (flag --inactive).
	InactiveTimeout time.Duration `yaml:"inactive_timeout"`
	// FINWait is how long a flow that saw a TCP FIN waits for the rest of the close;
	// 0 ends it at the FIN (flag --fin-wait).
	FINWait time.Duration `yaml:"fin_wait"`
	// Size is the number of flows the cache holds, shared by the workers (flag -s).
	Size int `yaml:"size"`
	// Split makes one record per direction instead of biflows (flag --split).
	Split bool `yaml:"split"`
	// Decapsulate counts GRE and VXLAN traffic as its inner flows (flag --decap).
	Decapsulate bool `yaml:"decapsulate"`
}

// Log configures flowprobe's own log on standard error.
type Log struct {
	// Level is the least severe level logged: debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is console (for people), json (one object per line), or auto: console
	// on a terminal, json otherwise.
	Format string `yaml:"format"`
}

// Metrics configures the Prometheus endpoint.
type Metrics struct {
	// Address is the HOST:PORT the /metrics endpoint listens on; empty turns it off
	// (flag --metrics).
	Address string `yaml:"address"`
}

// Values that the keys with a fixed set of choices accept.
var (
	Modes           = []string{"afpacket", "afxdp", "xdp"}
	IPFIXTransports = []string{"tcp", "udp"}
	LogLevels       = []string{"debug", "info", "warn", "error"}
	LogFormats      = []string{"auto", "console", "json"}
)

// Default returns the configuration flowprobe runs with when neither a file nor a
// flag says otherwise: the flags' defaults.
func Default() Config {
	return Config{
		Input:   Input{Mode: "xdp", Workers: 1, XDPFirstPackets: "0"},
		Outputs: Outputs{TRAPEndOfData: true, IPFIXTransport: "tcp"},
		Cache: Cache{
			ActiveTimeout:   flowcache.DefaultActiveTimeout,
			InactiveTimeout: flowcache.DefaultInactiveTimeout,
			FINWait:         flowcache.DefaultFINWait,
			Size:            flowcache.DefaultCapacity,
		},
		Log: Log{Level: "warn", Format: "auto"},
	}
}
