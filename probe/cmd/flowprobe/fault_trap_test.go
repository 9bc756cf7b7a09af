package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/trapout"
	"github.com/flowprobe/flowprobe/trapout/ifc"
)

// trapConsumer reads flow records from a TRAP UNIX socket output the way a NEMEA
// module does, and can stop reading while staying connected.
type trapConsumer struct {
	ctx     *trapout.Context
	mu      sync.Mutex
	records uint64
	eof     bool
	err     error
	pause   chan struct{} // closed to stop reading; the connection stays open
	delay   time.Duration // slept after every tenth record
	done    chan struct{}
}

// consume connects to the UNIX socket output name and reads until EOF, an error, or
// until the pause channel is closed. A stopped consumer keeps its connection.
func consume(t *testing.T, name string, delay time.Duration) *trapConsumer {
	t.Helper()
	ctx, err := trapout.Open("u:"+name, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := &trapConsumer{ctx: ctx, pause: make(chan struct{}), delay: delay,
		done: make(chan struct{})}
	ctx.Input(0).SetTimeout(trapout.Timeout(200000)) // µs, so that pause is seen
	go c.run()
	t.Cleanup(c.close)
	return c
}

func (c *trapConsumer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.pause:
			return
		default:
		}
		_, err := c.ctx.Input(0).Recv()
		var changed *trapout.FormatChangedError
		switch {
		case err == nil:
			c.mu.Lock()
			c.records++
			n := c.records
			c.mu.Unlock()
			if c.delay > 0 && n%10 == 0 {
				time.Sleep(c.delay)
			}
		case errors.Is(err, trapout.ErrTimeout), errors.As(err, &changed):
		case err == io.EOF:
			c.mu.Lock()
			c.eof = true
			c.mu.Unlock()
			return
		default:
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
	}
}

// stopReading makes the consumer stop reading and stay connected, as a stuck module.
func (c *trapConsumer) stopReading() {
	close(c.pause)
	<-c.done
}

// close disconnects the consumer.
func (c *trapConsumer) close() {
	select {
	case <-c.pause:
	default:
		close(c.pause)
	}
	<-c.done
	c.ctx.Close()
}

// settle waits up to limit for the consumer to reach the end-of-data marker or an
// error, so that it has read what its socket still held when flowprobe exited.
func (c *trapConsumer) settle(limit time.Duration) {
	select {
	case <-c.done:
	case <-time.After(limit):
	}
}

func (c *trapConsumer) count() (uint64, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.records, c.eof, c.err
}

// trapFlows is how many one-packet flows the TRAP tests send in each of three
// rounds: enough to fill a stuck consumer's socket buffers and the output's ring of
// containers.
const trapFlows = 10000

// TestFaultTRAPConsumers captures live with a TRAP UNIX socket output and a CSV
// output while the consumer of the TRAP output reads slowly, gets stuck, or
// disconnects and reconnects, under each libtrap output timeout. The capture must
// never lose a packet because of the consumer: the CSV output gets every flow. A
// consumer under a blocking timeout (WAIT, HALF_WAIT) gets every record or the loss
// is counted; a stuck one keeps flowprobe from exiting, as asked, until a second
// signal. Under NO_WAIT, the default of a live capture, flowprobe exits within seconds
// whatever the consumer does.
func TestFaultTRAPConsumers(t *testing.T) {
	testhost.RequireRoot(t)
	for _, timeout := range []string{"", "NO_WAIT", "HALF_WAIT", "WAIT"} {
		for _, consumer := range []string{"slow", "stuck", "reconnecting"} {
			name := consumer + "/" + timeout
			if timeout == "" {
				name = consumer + "/default"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				trapConsumerCase(t, timeout, consumer)
			})
		}
	}
}

func trapConsumerCase(t *testing.T, timeout, consumer string) {
	host := testhost.New(t, testhost.Options{})
	// The socket is named after this test process and host. A flowprobe that a
	// second signal ends leaves it behind.
	socket := fmt.Sprintf("flowprobe-test-%s", host.Probe.Link)
	t.Cleanup(func() { os.Remove(ifc.SocketPath(socket)) })
	spec := "u:" + socket
	if timeout != "" {
		spec += ":timeout=" + timeout
	}
	csv := filepath.Join(t.TempDir(), "flows.csv")
	p := startProbe(t, host, "-f", "udp", "--inactive", "1s", "-i", spec,
		"-o", "csv:"+csv)

	var delay time.Duration
	if consumer == "slow" {
		delay = 50 * time.Microsecond // about 100,000 records/s at most
	}
	c := consume(t, socket, delay)
	sent := uint64(0)
	for round := range uint16(3) {
		if round == 1 {
			switch consumer {
			case "stuck":
				c.stopReading()
			case "reconnecting":
				c.close()
				c = consume(t, socket, 0)
			}
		}
		inject(t, host, flowFrames(t, host, 100+round, trapFlows))
		sent += trapFlows
		time.Sleep(1100 * time.Millisecond)
	}

	// A live capture's default is NO_WAIT, so that no consumer can stall it.
	blocking := timeout == "WAIT" || timeout == "HALF_WAIT"
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := true
	if consumer == "stuck" && blocking {
		select {
		case <-p.done:
		case <-time.After(3 * time.Second):
			exited = false
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		}
	}
	code := p.wait(t, 60*time.Second)
	if consumer != "stuck" {
		c.settle(5 * time.Second)
	}
	got, eof, err := c.count()
	records, packets := csvTotals(t, csv)
	logs := p.log()
	lost := logCount(t, logs, "flow records were not delivered", "failed") +
		logCount(t, logs, "flow records were not delivered", "dropped") +
		logCount(t, logs, "flow records were not delivered", "skipped")
	t.Logf("exit %d; consumer got %d records (eof %v, err %v), %d counted lost; "+
		"CSV %d records of %d packets", code, got, eof, err, lost, records, packets)
	if packets != sent || records != sent {
		t.Fatalf("sent %d one-packet flows, the CSV output has %d records of %d packets",
			sent, records, packets)
	}
	if got > sent || err != nil {
		t.Fatalf("the consumer got %d of %d records, error %v", got, sent, err)
	}
	switch {
	case consumer == "stuck" && blocking && !exited:
		// As asked: the output waited for the consumer until the second signal.
	case consumer == "stuck" && blocking:
		t.Fatalf("flowprobe exited (code %d) while a consumer under %s was stuck",
			code, timeout)
	case consumer == "stuck":
		// What the stuck consumer's socket holds was delivered as far as the output
		// can tell; the rest is skipped and counted.
		if lost == 0 || code != exitLoss {
			t.Fatalf("exit %d under %s with a stuck consumer, %d counted lost", code,
				timeout, lost)
		}
	case consumer == "slow" && blocking:
		if !eof || got+lost != sent || (lost > 0) != (code == exitLoss) {
			t.Fatalf("exit %d: the slow consumer got %d records (eof %v), %d counted "+
				"lost, of %d", code, got, eof, lost, sent)
		}
	case consumer == "reconnecting" && blocking:
		if !eof || got < 2*trapFlows || code != exitOK {
			t.Fatalf("exit %d: the consumer got %d records after reconnecting (eof "+
				"%v), want the last two rounds' %d at least", code, got, eof, 2*trapFlows)
		}
	case consumer == "slow":
		// NO_WAIT skips what the consumer is too slow for and counts it; the
		// end-of-data marker may be among the skipped messages.
		if got+lost < sent || got+lost > sent+1 || (lost > 0) != (code == exitLoss) {
			t.Fatalf("exit %d: the slow consumer got %d records (eof %v), %d counted "+
				"skipped, of %d", code, got, eof, lost, sent)
		}
	default: // reconnecting under NO_WAIT
		if got == 0 || (lost > 0) != (code == exitLoss) {
			t.Fatalf("exit %d: the consumer got %d records under %s, %d counted lost",
				code, got, timeout, lost)
		}
	}
}
