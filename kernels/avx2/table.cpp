// Kernel table of the avx2 build.
#include "common/isa_prelude.h"
#define RT_ISA avx2
#include "common/isa_table.inc"
