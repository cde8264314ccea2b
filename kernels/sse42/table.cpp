// Kernel table of the sse42 build.
#include "common/isa_prelude.h"
#define RT_ISA sse42
#include "common/isa_table.inc"
