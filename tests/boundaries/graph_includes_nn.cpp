// Must not compile: graph does not depend on nn, so nn's public headers are not visible to it.
#include "nasctl/nn/graph_net.h"
