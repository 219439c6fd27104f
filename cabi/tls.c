//go:build cgo

// The per-thread last error message of the C ABI. Exported Go functions
// run on the calling C thread, so a C thread-local is the thread's own.
// Outside Windows a pthread key frees the message when its thread exits
// (AddressSanitizer's leak check found one message left per thread).

#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <pthread.h>
#endif

static _Thread_local char *miniav_err_msg;

#ifndef _WIN32
static pthread_key_t miniav_err_key;
static pthread_once_t miniav_err_once = PTHREAD_ONCE_INIT;
static int miniav_err_key_ok;

static void miniav_err_free(void *p) {
	free(p);
}

static void miniav_err_init(void) {
	miniav_err_key_ok = pthread_key_create(&miniav_err_key, miniav_err_free) == 0;
}
#endif

void miniav__set_error(const char *msg, size_t n) {
	char *p = realloc(miniav_err_msg, n + 1);
	if (p == NULL) {
		return;
	}
	memcpy(p, msg, n);
	p[n] = 0;
	miniav_err_msg = p;
#ifndef _WIN32
	pthread_once(&miniav_err_once, miniav_err_init);
	if (miniav_err_key_ok) {
		pthread_setspecific(miniav_err_key, p); // freed at thread exit
	}
#endif
}

const char *miniav__get_error(void) {
	return miniav_err_msg != NULL ? miniav_err_msg : "";
}
