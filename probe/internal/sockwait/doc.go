// Package sockwait is how the workers of the live capture sources (AF_PACKET and
// AF_XDP) sleep and stop: each sleeps in poll on its own socket and on a Signal that
// all workers of a source share, so that one write wakes them all, and reads the
// socket's pending error when poll reports one.
package sockwait
