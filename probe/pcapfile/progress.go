package pcapfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
)

// progressEvery is how often the progress bar is redrawn.
const progressEvery = 250 * time.Millisecond

// progressWidth is the number of cells of the bar itself.
const progressWidth = 24

// progress draws a one-line progress bar for a file being read: the share of its
// bytes read so far and the frame rate.
type progress struct {
	w    io.Writer
	name string
	size int64
	read func() int64
	done func() uint64
}

// progressBar returns the bar to draw for this run, or nil when none is wanted.
func (s *Source) progressBar() *progress {
	w := s.opts.Progress
	if s.opts.NoProgress {
		return nil
	}
	if w == nil {
		fd := os.Stderr.Fd()
		if s.size < ProgressMinSize || !(isatty.IsTerminal(fd) || isatty.IsCygwinTerminal(fd)) {
			return nil
		}
		w = os.Stderr
	}
	return &progress{
		w:    w,
		name: filepath.Base(s.path),
		size: s.size,
		read: s.bytesRead,
		done: s.frames.Load,
	}
}

// bytesRead is how far into the file reading has got.
func (s *Source) bytesRead() int64 {
	if s.raw != nil {
		return s.raw.n.Load()
	}
	return s.mappedOffset.Load()
}

// start draws the bar until the returned stop function is called; stop draws the
// final state and ends the line.
func (p *progress) start() (stop func()) {
	begin := time.Now()
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-quit:
				fmt.Fprintf(p.w, "\r%s\n", p.render(time.Since(begin)))
				return
			case <-t.C:
				fmt.Fprintf(p.w, "\r%s", p.render(time.Since(begin)))
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
	}
}

// render formats the bar for the current counters after elapsed time. A stream of
// unknown length gets no bar, only the counters.
func (p *progress) render(elapsed time.Duration) string {
	read, frames := p.read(), p.done()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(frames) / elapsed.Seconds()
	}
	const mib = 1 << 20
	if p.size <= 0 {
		return fmt.Sprintf("%s %.1f MiB %d frames %.2f Mframes/s", p.name,
			float64(read)/mib, frames, rate/1e6)
	}

	share := min(float64(read)/float64(p.size), 1)
	filled := int(share * progressWidth)
	bar := strings.Repeat("#", filled) + strings.Repeat(".", progressWidth-filled)
	return fmt.Sprintf("%s [%s] %5.1f%% %.1f/%.1f MiB %d frames %.2f Mframes/s", p.name,
		bar, share*100, float64(read)/mib, float64(p.size)/mib, frames, rate/1e6)
}
