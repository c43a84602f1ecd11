/* The small shared helpers of core, one header each: buffers (buf.h), text codecs (codec.h),
 * GUIDs (guid.h), date-times (datetime.h) and cryptographic primitives (crypto.h). This header
 * only gathers them for files that use several. */
#ifndef GC_CORE_UTIL_H
#define GC_CORE_UTIL_H

#include "core/buf.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "core/datetime.h"
#include "core/guid.h"

#endif
