package pcapfile

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/flowprobe/flowprobe/probe/capture"
)

const testdataDir = "../../testdata/pcap"

// recorder is a handler that keeps copies of what it was given.
type recorder struct {
	frames []capture.Frame
	ticks  []int64
	// tickedAt holds, for each tick, how many frames had come before it.
	tickedAt []int
	keep     bool // copy frame data
}

func (r *recorder) HandleFrame(f *capture.Frame) {
	c := *f
	if r.keep {
		c.Data = append([]byte(nil), f.Data...)
	} else {
		c.Data = nil
	}
	r.frames = append(r.frames, c)
}

func (r *recorder) Tick(now int64) {
	r.ticks = append(r.ticks, now)
	r.tickedAt = append(r.tickedAt, len(r.frames))
}

// readAll runs a source over path and returns what it delivered and Run's error.
func readAll(t *testing.T, path string, keep bool) (*recorder, error) {
	t.Helper()
	s, err := Open(path, Options{NoProgress: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := &recorder{keep: keep}
	err = s.Run(context.Background(), []capture.Handler{rec})
	if got := s.Stats().Frames; got != uint64(len(rec.frames)) {
		t.Errorf("Stats().Frames = %d, handler saw %d", got, len(rec.frames))
	}
	return rec, err
}

// readmeEntry is one row of testdata/pcap/README.md.
type readmeEntry struct {
	file     string
	linkType string // as capinfos names it, e.g. "ether" or "linux-sll2 (DLT 276)"
	packets  int
}

// readmeEntries parses the table of testdata/pcap/README.md, whose packet counts come
// from capinfos.
func readmeEntries(t *testing.T) []readmeEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(testdataDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var entries []readmeEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "|")
		if len(cols) < 8 {
			continue
		}
		name := strings.TrimSpace(cols[1])
		if !strings.HasSuffix(name, ".pcap") && !strings.HasSuffix(name, ".pcapng") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(cols[6]))
		if err != nil {
			t.Fatalf("README row for %s: packets column: %v", name, err)
		}
		lt, _, _ := strings.Cut(strings.ReplaceAll(cols[5], "*", ""), "/")
		entries = append(entries, readmeEntry{name, strings.TrimSpace(lt), n})
	}
	if len(entries) == 0 {
		t.Fatal("no files listed in the README")
	}
	return entries
}

func linkTypeFromReadme(t *testing.T, name string) capture.LinkType {
	t.Helper()
	switch {
	case strings.HasPrefix(name, "ether"):
		return capture.LinkEthernet
	case strings.HasPrefix(name, "linux-sll2"):
		return capture.LinkSLL2
	case strings.HasPrefix(name, "linux-sll"):
		return capture.LinkSLL
	case strings.HasPrefix(name, "raw IP"):
		return capture.LinkRaw
	case strings.HasPrefix(name, "null"):
		return capture.LinkNull
	}
	t.Fatalf("README names unknown link type %q", name)
	return 0
}

func TestEveryTestdataFile(t *testing.T) {
	entries := readmeEntries(t)
	onDisk, err := filepath.Glob(filepath.Join(testdataDir, "*.pcap*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(onDisk) != len(entries) {
		t.Errorf("README lists %d files, directory has %d", len(entries), len(onDisk))
	}
	for _, e := range entries {
		t.Run(e.file, func(t *testing.T) {
			rec, err := readAll(t, filepath.Join(testdataDir, e.file), false)
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.frames) != e.packets {
				t.Errorf("delivered %d frames, capinfos counts %d", len(rec.frames), e.packets)
			}
			want := linkTypeFromReadme(t, e.linkType)
			for i, f := range rec.frames {
				if f.LinkType != want || f.WireLen < 1 {
					t.Fatalf("frame %d: link type %d, wire length %d; want link type %d",
						i+1, f.LinkType, f.WireLen, want)
				}
			}
			checkTicks(t, rec, int64(1e9))
		})
	}
}

// checkTicks asserts the rules of ticks: each comes just before a frame, with that
// frame's time; the first before the first frame; no frame between two ticks (or after
// the last) is an interval or more after the tick before it; and two ticks are an
// interval apart at least, unless a frame between them went back an interval or more
// before the first of them (traces joined out of order).
func checkTicks(t *testing.T, rec *recorder, interval int64) {
	t.Helper()
	if len(rec.frames) == 0 {
		return
	}
	if len(rec.ticks) == 0 || rec.tickedAt[0] != 0 {
		t.Fatalf("no tick before the first frame")
	}
	for i, tick := range rec.ticks {
		at := rec.tickedAt[i]
		if at >= len(rec.frames) || rec.frames[at].Timestamp != tick {
			t.Fatalf("tick %d at %d is not the time of the frame after it", i, tick)
		}
		end := len(rec.frames)
		if i+1 < len(rec.ticks) {
			end = rec.tickedAt[i+1]
		}
		wentBack := false
		for j := at + 1; j < end; j++ {
			ts := rec.frames[j].Timestamp
			if ts >= tick && ts-tick >= interval {
				t.Fatalf("frame %d at %d, %d ns after the last tick", j, ts, ts-tick)
			}
			wentBack = wentBack || ts < tick && tick-ts >= interval
		}
		if i+1 < len(rec.ticks) && !wentBack && rec.ticks[i+1]-tick < interval {
			t.Fatalf("tick %d at %d only %d ns after the previous one", i+1,
				rec.ticks[i+1], rec.ticks[i+1]-tick)
		}
	}
}
