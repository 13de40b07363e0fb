// What the cases about create_connection() share (PEP 3156, "Internet
// connections"), plain and TLS: connecting with a recording protocol, and a
// peer socket of the case's own on the other side.
//
// Header-only and written against spec/ alone, like the cases.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "conformance/conformance.hpp"
#include "conformance/net_support.hpp"
#include "pep3156/event_loop.hpp"

namespace connection_support {

using namespace pep3156;
using net_support::accept_from;
using net_support::drain;
using net_support::Listener;
using net_support::RecordingProtocol;
using net_support::run_until;
using net_support::UniqueFd;

/// create_connection() to 127.0.0.1:port with a factory that returns
/// `protocol`; runs the loop until connection_made() too (decision D-NET-1
/// leaves open which comes first).
inline StreamConnection connect(conformance::Context& ctx, AbstractEventLoop& loop,
                                const std::shared_ptr<RecordingProtocol>& protocol, std::uint16_t port,
                                ConnectionOptions options = {}, std::string host = "127.0.0.1") {
  auto connection = ctx.run_until_complete(
      loop,
      loop.create_connection([protocol] { return protocol; }, std::move(host), port, std::move(options)),
      "create_connection()");
  run_until(
      ctx, loop, [&] { return protocol->made > 0; }, "connection_made() of the new connection");
  return connection;
}

/// The peer's side of a connection to `listener`, once the loop made it.
inline UniqueFd accepted_by(conformance::Context& ctx, AbstractEventLoop& loop, const Listener& listener) {
  UniqueFd peer;
  run_until(
      ctx, loop, [&] { return static_cast<bool>(peer = accept_from(listener)); },
      "the listener to accept the connection");
  return peer;
}

/// Runs the loop until the peer has received `size` bytes (or closed).
inline std::string read_at_peer(conformance::Context& ctx, AbstractEventLoop& loop, int peer,
                                std::size_t size) {
  std::string got;
  bool open = true;
  run_until(
      ctx, loop, [&] { return !(open = open && drain(peer, got)) || got.size() >= size; },
      "the peer to receive the bytes written");
  return got;
}

}  // namespace connection_support
