# flowprobe build, test and benchmark entry points. `make help` lists them.

PREFIX     ?= /usr/local
BINDIR     := $(PREFIX)/bin
NEMEADIR   := $(BINDIR)/nemea
VERSION    := $(shell cat VERSION)
GO         ?= go
LDFLAGS    := -s -w -X main.version=$(VERSION)
FUZZTIME   ?= 30s

# Programs built into bin/; the NEMEA tools go to bin/nemea/ so that they never shadow
# the system's own logger(1).
FLOWPROBE  := probe/cmd/flowprobe
NEMEATOOLS := logger logreplay traffic_repeater sensor_generator

.PHONY: all build test bench generate demo install fuzz clean help

all: build

help:
	@echo "make build     build bin/flowprobe and bin/nemea/*"
	@echo "make test      install test dependencies (as root) and run every test"
	@echo "make bench     run the benchmarks and print their figures"
	@echo "make generate  rebuild the BPF objects with clang (bpf2go)"
	@echo "make demo      run flowprobe on the bundled sample trace"
	@echo "make fuzz      run every fuzz target for FUZZTIME each"
	@echo "make install   install under PREFIX (default /usr/local)"

build:
	@mkdir -p bin/nemea
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/flowprobe ./$(FLOWPROBE)
	@for t in $(NEMEATOOLS); do \
		$(GO) build -ldflags '$(LDFLAGS)' -o bin/nemea/$$t ./tools/$$t || exit 1; \
	done
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/pcapgen ./tools/pcapgen

test:
	hack/setup-test-host.sh
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...

bench:
	hack/bench.sh

generate:
	$(GO) generate ./bpf/...

demo: build
	hack/demo.sh

fuzz:
	hack/fuzz.sh $(FUZZTIME)

# The service reads /etc/flowprobe/flowprobe.yaml whatever PREFIX is; set SYSCONFDIR to
# move it. An existing configuration file is never overwritten.
install: SYSCONFDIR ?= /etc
install: UNITDIR ?= $(PREFIX)/lib/systemd/system
install: SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(NEMEADIR)
	install -m 0755 bin/flowprobe $(DESTDIR)$(BINDIR)/flowprobe
	@for t in $(NEMEATOOLS); do \
		install -m 0755 bin/nemea/$$t $(DESTDIR)$(NEMEADIR)/$$t || exit 1; \
	done
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/flowprobe
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		deploy/flowprobe.service > $(DESTDIR)$(UNITDIR)/flowprobe.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/flowprobe.service
	install -m 0644 deploy/flowprobe.sysusers $(DESTDIR)$(SYSUSERSDIR)/flowprobe.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/flowprobe/flowprobe.yaml || \
		install -m 0644 deploy/flowprobe.yaml $(DESTDIR)$(SYSCONFDIR)/flowprobe/flowprobe.yaml

clean:
	rm -rf bin
