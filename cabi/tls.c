//go:build cgo

// The per-thread last error message of the C ABI. Exported Go functions
// run on the calling C thread, so a C thread-local is the thread's own.

#include <stdlib.h>
#include <string.h>

static _Thread_local char *miniav_err_msg;

void miniav__set_error(const char *msg, size_t n) {
	char *p = realloc(miniav_err_msg, n + 1);
	if (p == NULL) {
		return;
	}
	memcpy(p, msg, n);
	p[n] = 0;
	miniav_err_msg = p;
}

const char *miniav__get_error(void) {
	return miniav_err_msg != NULL ? miniav_err_msg : "";
}
