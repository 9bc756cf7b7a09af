package pcapfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// Options tunes how a file is read. The zero value is ready to use.
type Options struct {
	// TickInterval is how much packet time passes between Handler.Tick calls;
	// 0 means one second.
	TickInterval time.Duration
	// Progress receives a progress bar while the file is read. When nil, the bar goes
	// to stderr if stderr is a terminal and the file has at least ProgressMinSize
	// bytes, and nowhere otherwise.
	Progress io.Writer
	// NoProgress turns the progress bar off even on a terminal.
	NoProgress bool
}

// ProgressMinSize is the file size from which a terminal gets a progress bar by
// default; smaller files are read before a bar would tell anything.
const ProgressMinSize = 64 << 20

// ctxCheckEvery is how many frames pass between looks at the context and updates of
// the counters that Stats and the progress bar read.
const ctxCheckEvery = 1024

// Stats counts what a Source delivered.
type Stats struct {
	// Frames is the number of frames handed to the handler.
	Frames uint64
	// Bytes is the sum of their captured lengths.
	Bytes uint64
}

// Source reads one trace file. It implements capture.Source with one worker.
type Source struct {
	path string
	file *os.File
	size int64
	// raw counts the bytes read from the file, when it is read with read calls.
	raw *countingReader
	// mapped is the file's mapping, when it is read from one; mappedOffset is then
	// how far Run has got in it.
	mapped       *mapping
	mappedOffset atomic.Int64
	rr           *recordReader
	opts         Options

	frames, bytes atomic.Uint64
}

var _ capture.Source = (*Source)(nil)

// Open opens a pcap or pcapng file, possibly gzip-compressed, and reads its header.
// It fails with an error naming the file when the format or link type is not
// supported; for a pcapng file, whose interfaces each have a link type, Run reports
// an unsupported one at its first packet. An uncompressed file is mapped into memory
// and read from there; should another program truncate it meanwhile, Run fails with
// an error saying so. The file's size is checked once, when Run reaches the last
// page of the mapping; a cut made after that reads as zeros, which Run may deliver as
// empty frames before it finds the end of the file.
func Open(path string, opts Options) (*Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open trace file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open trace file %s: %w", path, err)
	}
	size := st.Size()
	if !st.Mode().IsRegular() {
		size = -1 // a pipe or device: its length is unknown
	}
	var s *Source
	if m := mapFile(f, size); m != nil {
		s, err = newMappedSource(path, m, io.NewSectionReader(f, size, math.MaxInt64-size),
			opts)
	}
	if s == nil && err == nil {
		s, err = newSource(path, f, size, opts)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	s.file = f
	return s, nil
}

// newMappedSource reads the header of the pcap or pcapng file mapped in m; rest reads
// what follows the mapped bytes in the file. path names the file in errors. It
// returns no Source and no error, and unmaps m, when the file is not to be read from
// a mapping (a compressed one).
func newMappedSource(path string, m *mapping, rest io.Reader, opts Options) (*Source,
	error) {
	rr, err := readMappedHeader(m, rest)
	if rr == nil || err != nil {
		_ = m.close()
		if err != nil {
			return nil, fmt.Errorf("open trace file %s: %w", path, err)
		}
		return nil, nil
	}
	return newSourceOf(path, int64(len(m.data)), rr, opts, nil, m)
}

// readMappedHeader reads the file header out of the mapping m, or returns nil when
// the file is not to be read from a mapping. A file cut under it gives errFileChanged.
func readMappedHeader(m *mapping, rest io.Reader) (rr *recordReader, err error) {
	defer m.catchFault(&err, debug.SetPanicOnFault(true))
	if !isMappable(m.data) {
		return nil, nil
	}
	return newMappedRecordReader(m, rest)
}

// newSource reads the header of the trace in r, which has size bytes (negative when
// unknown); path names it in errors.
func newSource(path string, r io.Reader, size int64, opts Options) (*Source, error) {
	raw := &countingReader{r: r}
	rr, err := newRecordReader(raw, size)
	if err != nil {
		return nil, fmt.Errorf("open trace file %s: %w", path, err)
	}
	return newSourceOf(path, size, rr, opts, raw, nil)
}

// newSourceOf makes the Source reading rr, checking the file's link type; raw or m is
// what rr reads from.
func newSourceOf(path string, size int64, rr *recordReader, opts Options,
	raw *countingReader, m *mapping) (*Source, error) {
	if opts.TickInterval <= 0 {
		opts.TickInterval = time.Second
	}
	if _, ok := toCaptureLinkType(rr.fileLinkType); rr.pcap != nil && !ok {
		if m != nil {
			_ = m.close()
		}
		return nil, fmt.Errorf("open trace file %s: unsupported link type %d (%s)",
			path, uint16(rr.fileLinkType), rr.fileLinkType)
	}
	return &Source{path: path, size: size, raw: raw, mapped: m, rr: rr, opts: opts}, nil
}

// Workers reports 1: a file is read by one goroutine.
func (s *Source) Workers() int { return 1 }

// Stats reports what was delivered so far; it is updated every few thousand frames
// while Run is busy and exactly once Run has returned.
func (s *Source) Stats() Stats {
	return Stats{Frames: s.frames.Load(), Bytes: s.bytes.Load()}
}

// Close closes the file. It is safe to call more than once, but not while Run is
// running: Run reads the file's mapping, which Close removes.
func (s *Source) Close() error {
	var err error
	if s.mapped != nil {
		err = s.mapped.close()
	}
	if s.file == nil {
		return err
	}
	err = errors.Join(err, s.file.Close())
	s.file = nil
	return err
}

// Run delivers every frame of the file to handlers[0] in file order, calling Tick
// with a frame's time before the frame whenever packet time has advanced by
// TickInterval since the last tick. When the file's time goes back by TickInterval or
// more (traces joined out of order), the count starts again from there, so the ticks
// follow the earlier time rather than stop until the file is back at the later one.
// Run returns nil at the end of the file or when ctx is cancelled. A record cut short
// or damaged stops Run with an error naming the file, the packet number and its
// offset, after every good frame before it was delivered; so does a frame with a link
// type the parser does not know (possible in pcapng). Frame.IfIndex is the pcapng
// interface ID of the frame, and 0 for pcap files.
func (s *Source) Run(ctx context.Context, handlers []capture.Handler) error {
	if len(handlers) != 1 {
		return fmt.Errorf("read trace file %s: need 1 handler, got %d", s.path, len(handlers))
	}
	if bar := s.progressBar(); bar != nil {
		stop := bar.start()
		defer stop()
	}
	return s.run(ctx, handlers[0])
}

func (s *Source) run(ctx context.Context, h capture.Handler) (err error) {
	if s.mapped != nil {
		defer func() {
			if errors.Is(err, errFileChanged) {
				err = fmt.Errorf("read trace file %s: after packet %d: %w", s.path,
					s.frames.Load(), err)
			}
		}()
		// The handler reads the frames in the mapping too, so a fault is caught
		// around the whole loop.
		defer s.mapped.catchFault(&err, debug.SetPanicOnFault(true))
	}
	var (
		frame     capture.Frame
		frames    uint64
		bytes     uint64
		lastTick  int64
		ticked    bool
		tickEvery = int64(s.opts.TickInterval)
	)
	defer func() {
		s.frames.Store(frames)
		s.bytes.Store(bytes)
		s.mappedOffset.Store(s.rr.offset())
	}()

	for {
		if frames%ctxCheckEvery == 0 {
			if ctx.Err() != nil {
				return nil
			}
			s.frames.Store(frames)
			s.bytes.Store(bytes)
			s.mappedOffset.Store(s.rr.offset())
		}

		if err := s.rr.next(); err != nil {
			if err == io.EOF {
				return nil
			}
			if errors.Is(err, errFileChanged) {
				return err // said by the deferred function above
			}
			return s.recordError(frames+1, s.rr.start, err)
		}
		rec := &s.rr.rec
		lt, ok := toCaptureLinkType(rec.linkType)
		if !ok {
			return fmt.Errorf("read trace file %s: packet %d at offset %d: "+
				"interface %d has unsupported link type %d (%s)", s.path, frames+1,
				s.rr.start, rec.iface, uint16(rec.linkType), rec.linkType)
		}

		// Compared without a subtraction, which overflows for times far apart.
		ts := rec.ts
		switch {
		case !ticked || ts > lastTick && uint64(ts)-uint64(lastTick) >= uint64(tickEvery):
			h.Tick(ts)
			lastTick, ticked = ts, true
		case ts < lastTick && uint64(lastTick)-uint64(ts) >= uint64(tickEvery):
			// Time went back (traces joined out of order): the ticks go on from
			// here, not from when the trace is back at the old time.
			lastTick = ts
		}

		frame.Data = rec.data
		frame.Timestamp = ts
		// A record may claim fewer bytes on the wire than it holds; the frame keeps
		// its data and the contract that WireLen is never below len(Data).
		frame.WireLen = max(rec.wireLen, len(rec.data))
		frame.IfIndex = uint32(rec.iface)
		frame.LinkType = lt
		h.HandleFrame(&frame)
		frames++
		bytes += uint64(len(rec.data))
	}
}

// recordError describes why record number n, starting at offset, could not be read.
func (s *Source) recordError(n uint64, offset int64, err error) error {
	where := "offset"
	if s.rr.gzipped {
		where = "decompressed offset"
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("read trace file %s: packet %d at %s %d: file is truncated: %w",
			s.path, n, where, offset, err)
	}
	return fmt.Errorf("read trace file %s: packet %d at %s %d: %w", s.path, n, where, offset, err)
}
