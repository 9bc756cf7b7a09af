package trapout_test

import (
	"errors"
	"fmt"
	"io"
	"log"

	"github.com/flowprobe/flowprobe/trapout"
	"github.com/flowprobe/flowprobe/trapout/unirec"
)

// A generator: one output, a template, records, the end marker.
func Example_generator() {
	args := []string{"-n", "3", "-i", "b:"} // os.Args[1:] in a module
	spec, rest, err := trapout.ExtractIfcSpec(args)
	if err != nil {
		log.Fatal(err)
	}
	ctx, err := trapout.Open(spec, 0, 1)
	if err != nil {
		log.Fatal(err)
	}
	defer ctx.Close()

	tmpl, err := unirec.ParseTemplate("uint32 ID,string NAME")
	if err != nil {
		log.Fatal(err)
	}
	out := ctx.Output(0)
	if err := out.SetTemplate(tmpl); err != nil {
		log.Fatal(err)
	}
	id := tmpl.Index("ID")
	rec := tmpl.NewRecord()
	for i := range 3 {
		rec = tmpl.Reset(rec)
		tmpl.SetUint32(rec, id, uint32(i))
		if err := out.Send(rec); err != nil {
			log.Fatal(err)
		}
	}
	out.SendEOF()
	fmt.Println(rest, out.Stats().Sent)
	// Output: [-n 3] 4
}

// A receiver: read until the end marker, rebuilding the template when the sender's
// format changes.
func Example_receiver() {
	ctx, err := trapout.Open("f:../testdata/trap/flows.trapcap", 1, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer ctx.Close()
	in := ctx.Input(0)
	var tmpl *unirec.Template
	n := 0
	for {
		rec, err := in.Recv()
		if errors.Is(err, trapout.ErrFormatChanged) {
			if tmpl, err = in.Template(); err != nil {
				log.Fatal(err)
			}
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		if n == 0 {
			fmt.Println("first DST_PORT:", tmpl.Uint16(rec, tmpl.Index("DST_PORT")))
		}
		n++
	}
	fmt.Println(n, "records")
	// Output:
	// first DST_PORT: 443
	// 20 records
}
