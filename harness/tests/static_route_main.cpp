// The static route: a binary that links the kit and its loop (here
// TestLoop's adapter, compiled in) and hands its command line to
// loopcert::run().
#include "loopcert/loopcert.hpp"

extern "C" const pep3156::AdapterList* pep3156_adapters();

int main(int argc, char** argv) { return loopcert::run(argc, argv, *pep3156_adapters()); }
