package xdpflow

// The objects are committed, so building needs no clang; `make generate` rebuilds them
// and TestObjectsMatchSources fails when they are stale. -target bpfel limits the
// objects to little-endian hosts (amd64, arm64, riscv64).

//go:generate go tool bpf2go -target bpfel -output-stem flowhash flowHash flow.c -- -O2 -Wall -Werror -I../include
//go:generate go tool bpf2go -target bpfel -output-stem flowpercpu flowPercpu flow.c -- -O2 -Wall -Werror -I../include -DFLOW_PERCPU_HASH
//go:generate go tool bpf2go -target bpfel -output-stem count count count.c -- -O2 -Wall -Werror -I../include
