// Package service is libtrap's service interface: the UNIX socket
// trap-service_<PID>.sock on which every NEMEA module answers a supervisor's request
// for the counters of its interfaces with a JSON document. The wire format and the
// JSON keys are those of libtrap 1.18 (docs/trap-unirec-spec.md, section 10), so the
// NEMEA supervisor and trap_stats read a Go module as they read a C one.
//
// The package knows nothing of interfaces: a Server asks a function for the report
// each time a request comes, and the trapout package fills it from its counters.
package service
