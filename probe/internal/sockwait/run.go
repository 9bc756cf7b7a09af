package sockwait

import (
	"context"
	"errors"
	"sync"
)

// RunWorkers calls work(ctx, w) for every worker w from 0 to n-1, each in a goroutine
// of its own, and returns their errors joined once all have returned. When ctx ends
// or a worker fails, it raises the Signal, so that workers asleep in Wait return, and
// cancels the context the workers were given, so that busy workers return after the
// frames at hand. A raise it has begun is over before it returns; the Signal then
// stays raised until the caller clears it.
func (s *Signal) RunWorkers(ctx context.Context, n int,
	work func(ctx context.Context, w int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	raised := make(chan struct{})
	stopRaise := context.AfterFunc(ctx, func() {
		s.Raise()
		close(raised)
	})

	errs := make([]error, n)
	var wg sync.WaitGroup
	for w := range n {
		wg.Go(func() {
			if errs[w] = work(ctx, w); errs[w] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	if !stopRaise() {
		<-raised
	}
	return errors.Join(errs...)
}
