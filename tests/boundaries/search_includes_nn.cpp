// Compiles: search declares nn, so nn's public headers are visible to it.
#include "nasctl/nn/runtime.h"
