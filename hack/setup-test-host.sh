#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine and prepares the kernel
# side (bpffs). Safe to run again: it installs only what is missing.
set -euo pipefail

packages=(clang llvm libbpf-dev tshark nfdump libfixbuf-tools softflowd iproute2 tcpdump tcpreplay
	openssl ca-certificates make systemd)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup-test-host: missing packages ${missing[*]}; run as root to install them" >&2
	else
		echo "setup-test-host: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
fi

if [ "$(id -u)" -eq 0 ]; then
	if ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
		mount -t bpf bpf /sys/fs/bpf || echo "setup-test-host: could not mount bpffs" >&2
	fi
	# nfcapd and the UDP collectors of the tests need room for bursts.
	sysctl -q -w net.core.rmem_max=33554432 || true
fi
