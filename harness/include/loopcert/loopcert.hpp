// loopcert as a library: the conformance runner, for a project that links
// the kit into its own binary instead of building an adapter library.
//
//   #include <loopcert/loopcert.hpp>
//
//   static const pep3156::Adapter my_adapters[] = {{.name = "myloop", ...}};
//   int main(int argc, char** argv) {
//     return loopcert::run(argc, argv, pep3156::AdapterList{pep3156::kAdapterContractVersion, my_adapters,
//     1});
//   }
//
// The binary then takes loopcert's command line (without --adapter). main()
// must hand argc/argv to run() unchanged and before doing anything else:
// loopcert runs every case in a fresh process by executing the same binary
// again with internal arguments (--run-one ...).
#pragma once

#include "pep3156/adapter.hpp"

namespace loopcert {

/// The static route: runs loopcert's command line against `adapters`.
/// Returns the exit status (0 conforming, 1 not, 2 usage error).
int run(int argc, char** argv, const pep3156::AdapterList& adapters);

/// The dynamic route (the loopcert executable): `--adapter LIB.so` names a
/// shared library exporting pep3156_adapters().
int main(int argc, char** argv);

}  // namespace loopcert
