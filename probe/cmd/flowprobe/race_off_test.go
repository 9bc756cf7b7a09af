//go:build !race

package main

// raceBuild makes TestMain build the command with the race detector too.
const raceBuild = false
