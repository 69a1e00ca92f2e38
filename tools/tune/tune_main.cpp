// rtn-tune: measures every layer shape of a suite or of model files on every implementation and writes the
// tuning profile (tune_command.cpp, docs/tuning.md).
#include "tools/tune/tune_command.hpp"

int main(int argc, char** argv) { return rtn::tune::run_tune_command(argc, argv); }
