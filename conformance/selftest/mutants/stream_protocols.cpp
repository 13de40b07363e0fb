// Mutants of how a loop calls stream protocols.
//
// Each puts a decorator between the correct loop's transport and the
// protocol that the caller's factory made for create_connection() or
// create_server(); the transport the caller's protocol gets is the correct
// loop's own.
#include <memory>
#include <string>
#include <utility>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using namespace pep3156;

/// Forwards every call to the caller's protocol; a mutant overrides the
/// one it breaks.
class ProtocolDecorator : public Protocol {
 public:
  explicit ProtocolDecorator(std::shared_ptr<Protocol> user) : user_(std::move(user)) {}

  void connection_made(std::shared_ptr<BaseTransport> transport) override {
    user_->connection_made(std::move(transport));
  }
  void data_received(BytesView data) override { user_->data_received(data); }
  bool eof_received() override { return user_->eof_received(); }
  void pause_writing() override { user_->pause_writing(); }
  void resume_writing() override { user_->resume_writing(); }
  void connection_lost(std::exception_ptr exc) override { user_->connection_lost(exc); }

 protected:
  std::shared_ptr<Protocol> user_;
};

/// A loop whose stream protocols are wrapped in a Decorator.
template <class Decorator>
class DecoratingLoop final : public ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;

  Future<StreamConnection> create_connection(ProtocolFactory factory, std::string host, std::uint16_t port,
                                             ConnectionOptions options) override {
    return inner().create_connection(decorated(std::move(factory)), std::move(host), port,
                                     std::move(options));
  }
  Future<std::shared_ptr<Server>> create_server(ProtocolFactory factory, std::string host, std::uint16_t port,
                                                ServerOptions options) override {
    return inner().create_server(decorated(std::move(factory)), std::move(host), port, std::move(options));
  }

 private:
  static ProtocolFactory decorated(ProtocolFactory factory) {
    return [factory = std::move(factory)]() -> std::shared_ptr<Protocol> {
      auto user = factory();
      if (!user) return nullptr;  // the correct loop rejects it
      return std::make_shared<Decorator>(std::move(user));
    };
  }
};

/// Drops what the caller's protocol raises, so that the exception never
/// reaches the loop (nor its handler).
class SwallowingProtocol final : public ProtocolDecorator {
 public:
  using ProtocolDecorator::ProtocolDecorator;

  void connection_made(std::shared_ptr<BaseTransport> transport) override {
    quietly([&] { ProtocolDecorator::connection_made(std::move(transport)); });
  }
  void data_received(BytesView data) override {
    quietly([&] { ProtocolDecorator::data_received(data); });
  }
  bool eof_received() override {
    bool keep_open = false;
    quietly([&] { keep_open = ProtocolDecorator::eof_received(); });
    return keep_open;
  }
  void pause_writing() override {
    quietly([&] { ProtocolDecorator::pause_writing(); });
  }
  void resume_writing() override {
    quietly([&] { ProtocolDecorator::resume_writing(); });
  }
  void connection_lost(std::exception_ptr exc) override {
    quietly([&] { ProtocolDecorator::connection_lost(exc); });
  }

 private:
  template <class F>
  static void quietly(F&& call) {
    try {
      std::forward<F>(call)();
    } catch (const std::exception&) {
    }
  }
};
LOOPCERT_MUTANT({"protocol_exception_swallowed", Expect::caught, "LOOP-ERR-CALLBACK-EXC-LOGGED",
                 "drops what a stream protocol method raises: it never reaches the exception handler",
                 wrap<DecoratingLoop<SwallowingProtocol>>});

/// Starts reading once connection_made() has returned, whatever the
/// protocol asked for inside it.
class ReadingAfterConnectionMade final : public ProtocolDecorator {
 public:
  using ProtocolDecorator::ProtocolDecorator;

  void connection_made(std::shared_ptr<BaseTransport> transport) override {
    auto reading = std::dynamic_pointer_cast<ReadTransport>(transport);
    ProtocolDecorator::connection_made(std::move(transport));
    if (reading && !reading->is_closing()) reading->resume_reading();
  }
};
LOOPCERT_MUTANT({"pause_reading_in_connection_made_ignored", Expect::caught, "TR-PAUSE-READING",
                 "starts reading after connection_made() even if the protocol paused reading in it",
                 wrap<DecoratingLoop<ReadingAfterConnectionMade>>});

/// Calls connection_lost() at once when the protocol closes its transport
/// from inside pause_writing() or resume_writing(), and again when the
/// transport gets to it.
class LostInsideFlowControl final : public ProtocolDecorator {
 public:
  using ProtocolDecorator::ProtocolDecorator;

  void connection_made(std::shared_ptr<BaseTransport> transport) override {
    transport_ = transport;
    ProtocolDecorator::connection_made(std::move(transport));
  }
  void pause_writing() override {
    ProtocolDecorator::pause_writing();
    lost_if_closing();
  }
  void resume_writing() override {
    ProtocolDecorator::resume_writing();
    lost_if_closing();
  }

 private:
  void lost_if_closing() {
    if (auto transport = transport_.lock(); transport && transport->is_closing())
      user_->connection_lost(nullptr);
  }
  std::weak_ptr<BaseTransport> transport_;
};
LOOPCERT_MUTANT({"connection_lost_inside_flow_control_close", Expect::caught,
                 "PROTO-SEQ-CONNECTION-LOST-ONCE",
                 "a close() inside pause_writing() or resume_writing() gets connection_lost() twice",
                 wrap<DecoratingLoop<LostInsideFlowControl>>});

}  // namespace
}  // namespace conformance::selftest
