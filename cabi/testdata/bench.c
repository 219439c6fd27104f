/*
 * bench.c - the cost of a frame through the C ABI: takes N frames of a
 * 64x64 GRAY8 camera at 1000 fps (static pattern, no stamp, so the source
 * renders nothing) with miniav_next_frame and miniav_frame_release, and
 * prints the process CPU time. Run by BenchmarkFrameC in bench_test.go,
 * which runs the same capture through the Go API for the ratio.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "miniav.h"

static int64_t cpu_ns(void) {
	struct rusage r;
	getrusage(RUSAGE_SELF, &r);
	return ((int64_t)r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000000000 +
	       ((int64_t)r.ru_utime.tv_usec + r.ru_stime.tv_usec) * 1000;
}

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	miniav_stream_t s;
	if (miniav_open("testsrc:camera?static=1&stamp=0", "64x64@1000 gray8", 64, MINIAV_POLICY_BLOCK, &s) != MINIAV_OK) {
		fprintf(stderr, "open: %s\n", miniav_last_error());
		return 1;
	}
	miniav_frame_t f;
	unsigned sum = 0;
	int64_t c0 = cpu_ns();
	for (int i = 0; i < n; i++) {
		if (miniav_next_frame(s, -1, &f) != MINIAV_OK) {
			fprintf(stderr, "next: %s\n", miniav_last_error());
			return 1;
		}
		sum += f.planes[0][100];
		miniav_frame_release(&f);
	}
	int64_t c = cpu_ns() - c0;
	miniav_close(s);
	printf("cpu_ns %" PRId64 " frames %d sum %u\n", c, n, sum);
	return 0;
}
