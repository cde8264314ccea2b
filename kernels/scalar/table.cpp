// Kernel table of the scalar build.
#include "common/isa_prelude.h"
#define RT_ISA scalar
#include "common/isa_table.inc"
