// Kernel table of the neon build.
#include "common/isa_prelude.h"
#define RT_ISA neon
#include "common/isa_table.inc"
