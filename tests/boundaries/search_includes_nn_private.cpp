// Must not compile: search depends on nn, but nn's private headers stay inside nn.
#include "nn/graph_ops.h"
