#include "reference/tls/tls_options.hpp"

namespace pep3156::reference::tls {

namespace {

double handshake_timeout(const std::optional<double>& timeout, bool tls, const std::string& method) {
  if (!timeout) return kDefaultHandshakeTimeout;
  if (!tls) throw ValueError(method + ": ssl_handshake_timeout is only meaningful with ssl");
  if (!(*timeout > 0)) throw ValueError(method + ": ssl_handshake_timeout must be a positive number");
  return *timeout;
}

}  // namespace

std::optional<ClientTls> client_tls(const ConnectionOptions& options, const std::string& host,
                                    const std::string& method) {
  bool tls = ssl_requested(options.ssl);
  double timeout = handshake_timeout(options.ssl_handshake_timeout, tls, method);
  if (!tls) {
    // D-NET-3
    if (options.server_hostname) throw ValueError(method + ": server_hostname is only meaningful with ssl");
    return std::nullopt;
  }
  // LOOP-CONN-SSL-OPTION: true means a default context; a context overrides it.
  auto* given = std::get_if<std::shared_ptr<SSLContext>>(&options.ssl);
  std::shared_ptr<SSLContext> context = given ? *given : SSLContext::create_default_context();
  if (context->purpose() != SSLContext::Purpose::server_auth) {
    throw ValueError(method + ": ssl needs a client context (Purpose::server_auth)");
  }
  // LOOP-CONN-SERVER-HOSTNAME: server_hostname defaults to host.
  std::string server_hostname = options.server_hostname.value_or(host);
  bool checks_hostname = context->check_hostname && context->verify_mode() != SSLContext::VerifyMode::none;
  if (server_hostname.empty() && checks_hostname) {
    throw ValueError(method + ": ssl needs server_hostname to check the certificate against");
  }
  return ClientTls{std::move(context), std::move(server_hostname), timeout};
}

std::shared_ptr<SSLTransport> ClientTls::layer(AbstractEventLoop& loop, std::shared_ptr<Protocol> application,
                                               FuturePtr handshake_waiter) const {
  return std::make_shared<SSLTransport>(loop, std::move(application), context,
                                        SSLTransport::Role::client(server_hostname), handshake_timeout,
                                        std::move(handshake_waiter));
}

std::optional<ServerTls> server_tls(const ServerOptions& options, const std::string& method) {
  bool tls = options.ssl != nullptr;
  double timeout = handshake_timeout(options.ssl_handshake_timeout, tls, method);
  if (!tls) return std::nullopt;
  // D-NET-4: a server presents a certificate.
  if (options.ssl->purpose() != SSLContext::Purpose::client_auth) {
    throw ValueError(method + ": ssl needs a server context (Purpose::client_auth)");
  }
  return ServerTls{options.ssl, timeout};
}

std::shared_ptr<SSLTransport> ServerTls::layer(AbstractEventLoop& loop,
                                               std::shared_ptr<Protocol> application) const {
  return std::make_shared<SSLTransport>(loop, std::move(application), context, SSLTransport::Role::server(),
                                        handshake_timeout, nullptr);
}

}  // namespace pep3156::reference::tls
