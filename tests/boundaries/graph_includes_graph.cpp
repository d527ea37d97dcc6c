// Compiles: a graph source sees its own public headers (the control of the probes below).
#include "nasctl/graph/graph.h"
