#!/usr/bin/env bash
# The V4L2 tests against the real kernel driver vivid, inside a qemu VM
# (scripts/vm): prepares the VM (qemu, busybox, the cached Debian kernel),
# then runs the V4L2 packages' test binaries in it with -race (and
# backend/mediadevices', for pion's Linux camera driver on vivid). If the VM
# cannot be prepared, the VM-only tests skip with the reason (fail with
# CI=true) through internal/vmtest.Require.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=$PATH:/usr/local/go/bin

bash scripts/vm/setup.sh || echo "v4l2: VM setup failed (see above); VM tests will skip, or fail with CI=true" >&2
# -p 1: one VM at a time. Each has 2 vCPUs (one host thread each under
# TCG); two VMs on a 2-core machine starve vivid's frame thread and make
# streaming tests see drops. Costs about 5 s.
go test -race -count=1 -p 1 -timeout 10m -exec "$PWD/scripts/vm/exec" \
	./internal/vmtest/... ./internal/v4l2/... ./backend/v4l2/... ./backend/mediadevices/...

# The MiniAV 0.7 C API (cabi/miniavc) against vivid: the guest has no
# compiler, so libminiav_c.so and its C test client are built here into the
# package's testdata/vm (copied into the guest with testdata/), and only the
# package's VM tests run there (the others need gcc, Xvfb, PulseAudio).
# The client links libm, which the test binary does not: VMTEST_DLOPEN
# copies it in.
(
	cd cabi/miniavc
	rm -rf testdata/vm && mkdir -p testdata/vm
	go build -buildmode=c-shared -o testdata/vm/libminiav_c.so .
	gcc -std=c11 -Wall -Wextra -Werror -I include testdata/client.c -L testdata/vm -lminiav_c -lm -pthread \
		-Wl,-rpath,'$ORIGIN' -o testdata/vm/client
)
VMTEST_DLOPEN="libturbojpeg.so.0 libm.so.6" go test -race -count=1 -timeout 5m -run '^TestVM' \
	-exec "$PWD/scripts/vm/exec" ./cabi/miniavc/
