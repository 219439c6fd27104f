/*
 * miniav's extensions to the MiniAV 0.7 C API. 0.7 declares no camera
 * property functions (its header leaves them to be designed), so these are
 * miniav's own: a program written for 0.7 never needs this header, and a
 * program that uses it runs on this library only.
 *
 * Properties are the device's controls (V4L2 controls on Linux: brightness,
 * exposure, auto modes, ...). They need a configured camera context; while
 * it is not capturing, each call opens the device briefly.
 */
#ifndef MINIAV_EXT_H
#define MINIAV_EXT_H

#include <stdint.h>

#include "export.h"
#include "miniav_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	MINIAV_PROPERTY_TYPE_INTEGER = 1,
	MINIAV_PROPERTY_TYPE_BOOLEAN = 2,
	MINIAV_PROPERTY_TYPE_MENU = 3,
	MINIAV_PROPERTY_TYPE_INTEGER_MENU = 4,
	MINIAV_PROPERTY_TYPE_BUTTON = 5,
	MINIAV_PROPERTY_TYPE_INTEGER64 = 6,
	MINIAV_PROPERTY_TYPE_STRING = 7,
	MINIAV_PROPERTY_TYPE_BITMASK = 8,
	MINIAV_PROPERTY_TYPE_OTHER = 9 /* listed, not settable */
} MiniAVPropertyType;

/* Flags of MiniAVPropertyInfo.flags. */
#define MINIAV_PROPERTY_READ_ONLY 0x1u
#define MINIAV_PROPERTY_WRITE_ONLY 0x2u
#define MINIAV_PROPERTY_INACTIVE 0x4u /* e.g. a manual setting while its auto mode is on */
#define MINIAV_PROPERTY_VOLATILE 0x8u /* the device changes it by itself */

typedef struct {
	uint32_t id; /* the device's control ID (a V4L2 CID) */
	MiniAVPropertyType type;
	char name[MINIAV_DEVICE_NAME_MAX_LEN];
	int64_t min_value, max_value, step, default_value;
	int64_t current_value; /* when listed; 0 for write-only properties */
	uint32_t flags;
	uint32_t menu_count; /* number of menu choices, for the menu types */
} MiniAVPropertyInfo;

#ifndef MINIAV_C_NO_PROTOTYPES

/* Lists the properties of the context's device in a malloc'ed array the
 * caller frees with MiniAV_Free (*count_out 0 and *props_out NULL when it
 * has none). A device without controls is MINIAV_ERROR_NOT_SUPPORTED. */
MINIAV_API MiniAVResultCode MiniAV_Camera_GetPropertyInfo(MiniAVCameraContextHandle context,
                                                          MiniAVPropertyInfo **props_out, uint32_t *count_out);
/* An unknown id is MINIAV_ERROR_INVALID_ARG. */
MINIAV_API MiniAVResultCode MiniAV_Camera_GetProperty(MiniAVCameraContextHandle context, uint32_t id,
                                                      int64_t *value_out);
/* The device may clamp the value: read it back with GetProperty. */
MINIAV_API MiniAVResultCode MiniAV_Camera_SetProperty(MiniAVCameraContextHandle context, uint32_t id,
                                                      int64_t value);

#endif

#ifdef __cplusplus
}
#endif

#endif
