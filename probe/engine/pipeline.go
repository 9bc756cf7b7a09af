package engine

import (
	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/packet"
)

// pipelineBatch is how many parsed packets the capture goroutine hands over at once.
// Every hand-over may wake the other goroutine, which costs a context switch; with
// batches of 1024 rather than 256 a trace run ended sooner (median wall time of 10
// runs of the bench trace 0.545 s against 0.59 s), and 2048 gained nothing more.
const pipelineBatch = 1024

// pipelineDepth is how many batches may wait for the cache goroutine.
const pipelineDepth = 16

// work is one hand-over from the capture goroutine to the cache goroutine: packets
// to account, then partial flows to merge, then, when hasTick, a clock tick.
type work struct {
	packets []flow.Packet
	merges  []flow.Record
	tick    int64
	hasTick bool
}

// pipeline runs a worker's cache in a goroutine of its own. Packets, merges and ticks
// reach the cache in the order the source gave them.
type pipeline struct {
	w     *worker
	queue chan *work
	free  chan *work
	cur   *work // being filled by the capture goroutine
	done  chan struct{}
}

func newPipeline(w *worker) *pipeline {
	p := &pipeline{w: w, queue: make(chan *work, pipelineDepth),
		free: make(chan *work, pipelineDepth+2), done: make(chan struct{})}
	for range pipelineDepth + 2 {
		p.free <- &work{packets: make([]flow.Packet, 0, pipelineBatch)}
	}
	p.cur = <-p.free
	return p
}

// handleFrame parses f straight into the next packet slot of the batch. A batch
// accounts its packets before its merges, so a packet that follows a merge starts a
// new batch.
func (p *pipeline) handleFrame(parser *packet.Parser, f *capture.Frame) {
	if len(p.cur.merges) > 0 {
		p.send()
	}
	n := len(p.cur.packets)
	p.cur.packets = p.cur.packets[:n+1]
	if parser.Parse(f, &p.cur.packets[n]) != packet.OK {
		p.cur.packets = p.cur.packets[:n]
		return
	}
	if n+1 == pipelineBatch {
		p.send()
	}
}

func (p *pipeline) tick(now int64) {
	p.cur.tick, p.cur.hasTick = now, true
	p.send()
}

func (p *pipeline) merge(agg *flow.Record) {
	p.cur.merges = append(p.cur.merges, *agg)
	if len(p.cur.merges) >= pipelineBatch {
		p.send()
	}
}

// send hands the current batch over, waiting for room, and takes an empty one.
func (p *pipeline) send() {
	p.queue <- p.cur
	p.cur = <-p.free
}

// run is the cache goroutine.
func (p *pipeline) run() {
	defer close(p.done)
	c := p.w.cache
	for b := range p.queue {
		c.UpdateBatch(b.packets)
		for i := range b.merges {
			c.Merge(&b.merges[i])
		}
		if b.hasTick {
			p.w.applyTimeouts()
			c.Advance(b.tick)
			p.w.snapshotCache()
		}
		b.packets, b.merges, b.hasTick = b.packets[:0], b.merges[:0], false
		p.free <- b
	}
}

// stop hands over what is left and waits for the cache goroutine to finish it; the
// cache is the caller's afterwards.
func (p *pipeline) stop() {
	if len(p.cur.packets)+len(p.cur.merges) > 0 || p.cur.hasTick {
		p.queue <- p.cur
	}
	close(p.queue)
	<-p.done
}
