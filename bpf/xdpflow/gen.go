package xdpflow

// The objects are committed, so building needs no clang; `make generate` rebuilds them
// and TestObjectsMatchSources fails when they are stale. -target bpfel limits the
// objects to little-endian hosts (amd64, arm64, riscv64).

//go:generate -command bpf2go go tool bpf2go -target bpfel -cflags "-O2 -Wall -Werror -I../include"
//go:generate bpf2go -output-stem flowhash flowHash flow.c
//go:generate bpf2go -output-stem flowpercpu flowPercpu flow.c -- -DFLOW_PERCPU_HASH
//go:generate bpf2go -output-stem count count count.c
