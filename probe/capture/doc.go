// Package capture defines how capture sources (trace files, AF_PACKET, AF_XDP) hand
// frames to the flow engine: a Source runs one or more workers, and each worker calls
// its own Handler, so the per-packet path needs no locks.
package capture
