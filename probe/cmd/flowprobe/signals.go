package main

import (
	"context"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// abandonHook is what a second SIGINT or SIGTERM calls once run has an engine: it
// gives up on outputs that are stuck, so that run can still exit with a code.
var abandonHook atomic.Pointer[func()]

// handleSignals returns a context that the first SIGINT or SIGTERM cancels, which
// starts the orderly stop. The second calls abandonHook; the third ends the process
// at once, as the signal normally would. stop releases the signals.
func handleSignals() (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 3)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		<-sigs
		if hook := abandonHook.Load(); hook != nil {
			(*hook)()
		}
		sig := <-sigs
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		_ = syscall.Kill(os.Getpid(), sig.(syscall.Signal))
	}()
	return ctx, func() {
		signal.Stop(sigs)
		cancel()
	}
}
