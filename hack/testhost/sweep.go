package testhost

import (
	"os"
	"strconv"
	"strings"

	"github.com/vishvananda/netns"
)

// nsPrefix starts the name of every namespace this package creates; the test
// process id follows it.
const nsPrefix = "flowprobe-test-"

// sweepStale removes the namespaces of test processes that no longer run, which a
// killed test binary leaves behind because its cleanup never ran. Removing the
// namespace also removes the veth ends inside it.
func sweepStale() {
	entries, err := os.ReadDir("/var/run/netns")
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), nsPrefix)
		if !ok {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat("/proc/" + pidText); err == nil {
			continue
		}
		// Another sweeper may win the race; its success is as good as ours.
		_ = netns.DeleteNamed(e.Name())
	}
}
