// ProactorEventLoop's stream connections (PEP 3156, "Internet connections"
// and the UNIX-domain extension): the readiness loop's steps (resolving,
// connecting, listening, TLS; reference/net), each connection then given a
// ProactorStreamTransport instead of the readiness StreamTransport, and
// the servers accepting with operations (ProactorAccepting). TLS
// stacks on it as on any transport: the layer is its protocol.
#include "reference/proactor_accepting.hpp"
#include "reference/proactor_event_loop.hpp"
#include "reference/proactor_stream_transport.hpp"

namespace pep3156::reference {

net::StartStreamTransport ProactorEventLoop::stream_transport() {
  return [this](Socket sock, std::shared_ptr<Protocol> protocol, Future<void> waiter,
                Callback on_lost) -> std::shared_ptr<Transport> {
    return ProactorStreamTransport::start(*this, proactor(), std::move(sock), std::move(protocol),
                                          std::move(waiter), std::move(on_lost));
  };
}

net::MakeAccepting ProactorEventLoop::accepting() {
  return [this](AbstractEventLoop&, int) { return proactor_accepting(proactor()); };
}

Future<StreamConnection> ProactorEventLoop::create_connection(ProtocolFactory factory, std::string host,
                                                              std::uint16_t port, ConnectionOptions options) {
  return net::create_connection(*this, std::move(factory), std::move(host), port, std::move(options),
                                stream_transport());
}

Future<std::shared_ptr<Server>> ProactorEventLoop::create_server(ProtocolFactory factory, std::string host,
                                                                 std::uint16_t port, ServerOptions options) {
  return net::create_server(*this, std::move(factory), std::move(host), port, std::move(options),
                            stream_transport(), accepting());
}

Future<StreamConnection> ProactorEventLoop::create_unix_connection(ProtocolFactory factory, std::string path,
                                                                   ConnectionOptions options) {
  return net::create_unix_connection(*this, std::move(factory), std::move(path), std::move(options),
                                     stream_transport());
}

Future<std::shared_ptr<Server>> ProactorEventLoop::create_unix_server(ProtocolFactory factory,
                                                                      std::string path,
                                                                      ServerOptions options) {
  return net::create_unix_server(*this, std::move(factory), std::move(path), std::move(options),
                                 stream_transport(), accepting());
}

}  // namespace pep3156::reference
