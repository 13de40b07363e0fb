// The static route: the kit linked into a test binary of the project, which
// then takes loopcert's command line without --adapter (harness/README.md,
// "The static route"). Here it certifies the adapter of
// reference_poll_adapter.cpp, linked in, through its own entry point.
#include <loopcert/loopcert.hpp>

extern "C" const pep3156::AdapterList* pep3156_adapters();

int main(int argc, char** argv) { return loopcert::run(argc, argv, *pep3156_adapters()); }
