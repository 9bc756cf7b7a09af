package trapout

// IfcHelp describes the `-i` argument, for a module's `-h trap` output.
const IfcHelp = `Interface specifier (-i): IFC[,IFC]..., all inputs first, then all outputs.
Each IFC is a type letter, ':' and parameters separated by ':'.

  t:[host:]port           TCP input (host defaults to localhost)
  t:port[:opts]           TCP output, listening on every address
  u:name[:opts]           UNIX socket $TRAP_SOCKET_DIR/trap-<name>.sock (default /tmp)
  T:[host:]port:key:cert:ca        TLS input (PEM files)
  T:port:key:cert:ca[:opts]        TLS output
  f:path                  trapcap file input; a glob or several space-separated files
  f:path[:a][:time=min][:size=MiB] trapcap file output
  b:                      blackhole output, drops everything

Output options (opts): max_clients=N (max 64 on t: and u:), buffer_count=N
(default 50), buffer_size=bytes (default and max 100000).
Anywhere in an IFC's parameters:
  timeout=WAIT|NO_WAIT|HALF_WAIT|microseconds   (HALF_WAIT on outputs only)
  buffer=on|off                                 (outputs)
  autoflush=off|microseconds                    (socket outputs, default 2000000)
Numbers may be hexadecimal (0x..) or octal (leading 0).
`
