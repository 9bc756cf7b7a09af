// Package pipeline measures the packet parser and the flow cache together on traffic
// from pcapgen, the generator of the bench trace, and checks that they find the
// trace's ground truth. It holds only tests and benchmarks; profile the hot path with
//
//	go test -run '^$' -bench . -cpuprofile cpu.prof ./hack/bench/pipeline
package pipeline
