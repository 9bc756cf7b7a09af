package ipfix_test

import (
	"log"
	"time"

	"github.com/flowprobe/flowprobe/exporter/ipfix"
	"github.com/flowprobe/flowprobe/probe/flow"
)

// The flow engine hands finished flows to Export, calls Flush when it has nothing
// more for a while, and Close at shutdown.
func ExampleNew() {
	exp, err := ipfix.New(ipfix.Options{
		Address:         "127.0.0.1:4739",
		Transport:       ipfix.TCP,
		TemplateRefresh: 60 * time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	var finished []flow.Record // filled by the flow cache
	if err := exp.Export(finished); err != nil {
		log.Printf("ipfix: %v", err) // counted in Stats; exporting goes on
	}
	if err := exp.Close(); err != nil {
		log.Printf("ipfix: %v", err)
	}
	log.Printf("ipfix: %+v", exp.Stats())
}
