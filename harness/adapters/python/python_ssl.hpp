// The contract's SSLContext (an OpenSSL SSL_CTX) as a Python
// ssl.SSLContext, so that the Python loop runs TLS with its own ssl module
// (PEP 3156, "Internet connections": ssl=).
#pragma once

#include "interpreter.hpp"
#include "pep3156/options.hpp"

namespace loopcert_python {

/// The `ssl=` keyword's value: True (the Python loop makes its default
/// context) or a Python ssl.SSLContext configured as `ssl` is. GIL held;
/// `ssl` must be requested (pep3156::ssl_requested()).
PyRef python_ssl_argument(const pep3156::SslOption& ssl);

}  // namespace loopcert_python
