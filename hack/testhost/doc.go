// Package testhost builds throw-away network test hosts for tests that capture live
// traffic: two network namespaces joined by a veth pair, one end for the probe under
// test and one end where frames are injected with an AF_PACKET socket.
//
// Everything it creates carries the test process id and a counter in its name, so
// parallel test binaries never collide, and Close removes it again. Namespaces left
// behind by a test process that was killed are swept by the next Setup. The package
// needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN); RequireRoot skips a test otherwise.
package testhost
