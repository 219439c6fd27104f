/* miniav's MiniAV 0.7 compatible C API: symbol visibility. */
#ifndef MINIAV_EXPORT_H
#define MINIAV_EXPORT_H

#if defined(_WIN32)
#  if defined(MINIAV_BUILDING)
#    define MINIAV_API __declspec(dllexport)
#  else
#    define MINIAV_API __declspec(dllimport)
#  endif
#elif defined(__EMSCRIPTEN__)
#  include <emscripten.h>
#  define MINIAV_API EMSCRIPTEN_KEEPALIVE
#elif defined(__GNUC__)
#  define MINIAV_API __attribute__((visibility("default")))
#else
#  define MINIAV_API
#endif

#endif
