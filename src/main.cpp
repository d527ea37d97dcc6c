// nasctl: hardware-aware neural architecture search. main only wires the commands (src/cli/).
#include "cli/app.h"

int main(int argc, char** argv) { return nasctl::cli::run(argc, argv); }
