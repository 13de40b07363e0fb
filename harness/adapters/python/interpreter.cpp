// Starting the embedded interpreter (interpreter.hpp).
#include "interpreter.hpp"

#include <dlfcn.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "bridge_module.hpp"

namespace loopcert_python {

namespace {

/// Debian's interpreter, whatever python3 comes first on PATH: its
/// sys.prefix is the one with python3-uvloop and python3-gbulb.
constexpr const wchar_t* kProgramName = L"/usr/bin/python3";

[[noreturn]] void fail_to_start(const char* step, const PyStatus& status) {
  std::fprintf(stderr, "loopcert python adapter: %s: %s\n", step,
               status.err_msg != nullptr ? status.err_msg : "failed");
  std::abort();  // no loop can be made: nothing sensible is left to do
}

/// loopcert dlopen()s the adapter RTLD_LOCAL, so libpython's symbols are
/// not visible to the extension modules CPython loads later (_contextvars,
/// uvloop's loop.so), which expect them global: make them so.
void export_libpython_symbols() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&Py_InitializeFromConfig), &info) == 0 || info.dli_fname == nullptr)
    return;
  // RTLD_NOLOAD: only promotes the library already loaded; the handle is
  // kept, as the interpreter is (never finalized).
  dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
}

void start_interpreter() {
  export_libpython_symbols();
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  config.install_signal_handlers = 0;  // the kit's dispositions stay as they are (SIGINT)
  config.parse_argv = 0;
  config.site_import = 1;  // dist-packages (uvloop, gbulb) come from site
  config.user_site_directory = 0;
  config.use_environment = 0;  // PYTHONHOME/PYTHONPATH of another Python must not leak in
  PyStatus status = PyConfig_SetString(&config, &config.program_name, kProgramName);
  if (PyStatus_Exception(status)) fail_to_start("program_name", status);
  status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) fail_to_start("Py_InitializeFromConfig", status);
  // What every Python program runs with and the libraries count on:
  // CPython's start-up ignores SIGPIPE (Modules/signalmodule.c,
  // signal_install_handlers(), skipped with install_signal_handlers = 0,
  // which is off for SIGINT's sake), so that uvloop (libuv writes without
  // MSG_NOSIGNAL) and gbulb get EPIPE from a reset peer instead of dying.
  // Popen's restore_signals gives the children the default back.
  signal(SIGPIPE, SIG_IGN);
  load_bridge_module();
  // From now on every entry, this thread's included, goes through Gil.
  PyEval_SaveThread();
}

}  // namespace

void ensure_interpreter() {
  static std::once_flag started;
  std::call_once(started, start_interpreter);
}

}  // namespace loopcert_python
