package main

// version is set by the Makefile with -ldflags "-X main.version=$(cat VERSION)".
var version string

// fallbackVersion is what a build without the Makefile (go run, go install) reports.
// TestFallbackVersionMatchesFile keeps it equal to the VERSION file.
const fallbackVersion = "0.1.0"

func versionString() string {
	if version != "" {
		return version
	}
	return fallbackVersion
}
