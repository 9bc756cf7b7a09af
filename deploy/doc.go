// Package deploy holds the files that run flowprobe as a system service: the systemd
// unit, the user it runs as, and the example configuration. It has no code; its tests
// install the files with `make install` and check them.
package deploy
