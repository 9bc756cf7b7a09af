package main

// Exit codes, listed in usageText.
const (
	exitOK      = 0
	exitFailure = 1 // the capture failed, or an output failed to close without losing records
	exitUsage   = 2 // the command line or the configuration file is wrong
	exitSetup   = 3 // an input or output could not be opened
	exitLoss    = 4 // the run completed but some flow records were not delivered
)

const usageText = `flowprobe: build IP flow records from a network interface or a trace file and
export them over IPFIX, as UniRec records over TRAP (NEMEA), or as text.

Usage:
  flowprobe -I eth0 -i u:basicflow            live capture to a NEMEA TRAP interface
  flowprobe -I eth0 -x 127.0.0.1:4739 -u      live capture to an IPFIX collector over UDP
  flowprobe -I eth0 --mode xdp -i u:flows     flows counted in the kernel (XDP)
  flowprobe -r trace.pcap -o csv:flows.csv    trace file to CSV
  flowprobe -r trace.pcap                     trace file to a table on standard output

Input (one of):
  -I IFACE          capture live on IFACE (needs CAP_NET_RAW)
  -r FILE           read a pcap or pcapng file (gzip allowed); flows follow packet time
  --mode MODE       live capture method: xdp (default: flows counted in the kernel by
                    an XDP program and read every 3 s); afxdp (one socket and worker per
                    RX queue, through an XDP redirect program); or afpacket
  --xdp-first-packets N  with --mode xdp, hand the first N packets of each flow
                    direction (or "all" frames) whole to user space through AF_XDP
                    sockets, one per RX queue, and count the rest in the kernel
  -w N              afpacket workers, one socket each (default 1)
  -f FILTER         tcpdump-style capture filter (afpacket only)
  --promisc         put the interface into promiscuous mode (afpacket only)

Outputs (any number, each may be repeated; a table on standard output when none):
  -i IFC            TRAP output interface, libtrap syntax (u:NAME, t:PORT, f:FILE, ...);
                    sends the basic flow record, and end-of-data at exit unless --no-eof;
                    without timeout= a socket output never waits for a slow client on a
                    live capture (NO_WAIT: what a client misses is counted lost, exit
                    code 4) and waits for it when reading a file (WAIT)
  -p PLUGIN[,...]   add the fields of these ipfixprobe plugins to the TRAP records:
                    vlan (uint16 VLAN_ID), icmp (uint16 L4_ICMP_TYPE_CODE)
  -x HOST:PORT      IPFIX collector, over TCP unless -u
  -u                send IPFIX over UDP
  --ipfix-ms        send millisecond flow times (152/153) instead of microseconds
  -O ID             IPFIX observation domain ID (default 0)
  -o FORMAT[:FILE]  text output: table, csv or json (one flow per line); standard output
                    when FILE is missing or "-"
  A trace file is read at the pace of the slowest output, so no record is lost. A live
  capture waits at most 2 s for an output that falls behind; then that output loses
  records (counted and logged, exit code 4) rather than the capture losing packets.

Flow cache:
  -t ACTIVE:INACTIVE  timeouts in seconds, flow_meter style (default 300:30)
  --active DURATION   active timeout (default 5m0s)
  --inactive DURATION inactive timeout (default 30s)
  --fin-wait DURATION how long a flow that saw a TCP FIN waits for the rest of the
                      close before it ends (default 1s; 0 ends it at the FIN)
  -s N                cache size in flows, shared by the workers (default 262144,
                      196 bytes each)
  --split             one record per direction instead of biflows
  --decap             count GRE and VXLAN traffic as its inner flows, one flow per
                      tunnel ID (trace files, --mode afpacket and afxdp)

Other:
  --config FILE       read the settings from a YAML file (deploy/flowprobe.yaml shows
                      every key); flags given as well override it. SIGHUP rereads it and
                      applies the outputs, the timeouts and the log level in place
  --metrics HOST:PORT serve Prometheus metrics at http://HOST:PORT/metrics
  -v                  log more (-v info, -v -v debug); warnings and errors only by default
  -V, --version       print the version and exit
  -h                  print this help

Exit codes:
  0  success: every flow was exported
  1  the run failed (capture error, an output could not be flushed or closed)
  2  the command line or the configuration file is wrong
  3  an input or output could not be opened
  4  the run completed, but some flow records were not delivered (see the log)

SIGINT and SIGTERM stop the capture; every flow still in the cache is exported (end
reason "forced", or "end" for a TCP flow that was closing) and every output is flushed
before flowprobe exits. A second signal gives up on outputs stuck for over a second
(their records are counted lost, exit code 4); a third quits at once.
`
