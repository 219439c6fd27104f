/* miniav's MiniAV 0.7 compatible C API: the umbrella header (as in 0.7 it
 * does not include miniav_playback.h). */
#ifndef MINIAV_H
#define MINIAV_H

#include "miniav_types.h"
#include "miniav_buffer.h"
#include "miniav_capture.h"

#endif
