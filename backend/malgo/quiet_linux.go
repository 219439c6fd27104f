//go:build cgo && linux

package malgo

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>

// The sound libraries miniaudio loads print their own diagnostics on
// stderr (ALSA's "Cannot get card index", JACK's "server is not running")
// while miniaudio tries backends in turn. Those failures reach Go as
// errors anyway; the handlers below drop the text.
static void miniav_alsa_quiet(const char *file, int line, const char *func, int err, const char *fmt, ...) {}
static void miniav_jack_quiet(const char *msg) {}

static void miniav_quiet_libs(void) {
	void *a = dlopen("libasound.so.2", RTLD_NOW | RTLD_GLOBAL);
	if (a != NULL) {
		int (*set)(void *) = (int (*)(void *))dlsym(a, "snd_lib_error_set_handler");
		if (set != NULL) set((void *)miniav_alsa_quiet);
		// the handle stays open: the handler lives as long as the library
	}
	void *j = dlopen("libjack.so.0", RTLD_NOW | RTLD_GLOBAL);
	if (j != NULL) {
		void (*seterr)(void (*)(const char *)) = (void (*)(void (*)(const char *)))dlsym(j, "jack_set_error_function");
		void (*setinfo)(void (*)(const char *)) = (void (*)(void (*)(const char *)))dlsym(j, "jack_set_info_function");
		if (seterr != NULL) seterr(miniav_jack_quiet);
		if (setinfo != NULL) setinfo(miniav_jack_quiet);
	}
}
*/
import "C"

import "sync"

var quietOnce sync.Once

// quietLibs silences the stderr diagnostics of ALSA and JACK, once per
// process, before miniaudio first loads them. It is process-wide: a program
// that wants ALSA's own messages should set its own handler afterwards.
func quietLibs() { quietOnce.Do(func() { C.miniav_quiet_libs() }) }
