#pragma once
// rtn-tune as a function (tune_command.cpp), so that a test can run the tuner in its own process, on a layer
// kind it registered there.
namespace rtn::tune {

// Runs rtn-tune with these arguments (argv[0]: the program's name) and returns its exit code: 0 done, 1 an
// error, 2 a usage error. Prints its progress to stderr and its tables to stdout. Allocates.
int run_tune_command(int argc, char** argv);

}  // namespace rtn::tune
