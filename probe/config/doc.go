// Package config reads flowprobe's YAML configuration file.
//
// The file covers everything the command-line flags cover, in five sections: input,
// outputs, cache, log and metrics. Every key is optional; a missing key keeps the
// default that the matching flag has (see Default). A key the package does not know,
// a value of the wrong type, or a value out of range is an error that names the file,
// the line and the key, so a typo never passes unnoticed.
//
// Durations are written with a unit, as Go writes them ("30s", "5m", "1h30m"); a bare
// number is refused because seconds and nanoseconds would both be plausible readings.
//
// The outputs and the flow timeouts can be changed while flowprobe runs (SIGHUP);
// Reloadable tells which keys need a restart instead.
package config
