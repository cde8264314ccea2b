// Kernel table of the avx512 build.
#include "common/isa_prelude.h"
#define RT_ISA avx512
#include "common/isa_table.inc"
