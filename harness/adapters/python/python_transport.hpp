// PythonTransport and PythonDatagramTransport: the contract's transports
// over a Python loop's transport objects (asyncio's
// _SelectorSocketTransport and _SelectorDatagramTransport, uvloop's
// TCPTransport and UDPTransport, ...), every method forwarded.
#pragma once

#include "interpreter.hpp"
#include "pep3156/transports.hpp"

namespace loopcert_python {

class PythonTransport final : public pep3156::Transport {
 public:
  explicit PythonTransport(PyRef transport) : transport_(std::move(transport)) {}
  ~PythonTransport() override;

  /// "peername"/"sockname" (SocketAddress), "socket" (int fd); the Python
  /// transport's other keys are not carried over (an empty std::any).
  std::any get_extra_info(std::string_view name) const override;
  void close() override;
  bool is_closing() const override;
  void pause_reading() override;
  void resume_reading() override;
  void write(pep3156::BytesView data) override;
  void write_eof() override;
  bool can_write_eof() const override;
  std::size_t get_write_buffer_size() const override;
  void set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) override;
  void abort() override;

 private:
  template <class... A>
  PyRef call(const char* method, const char* format, A... args) const;

  PyRef transport_;
};

class PythonDatagramTransport final : public pep3156::DatagramTransport {
 public:
  explicit PythonDatagramTransport(PyRef transport) : transport_(std::move(transport)) {}
  ~PythonDatagramTransport() override;

  std::any get_extra_info(std::string_view name) const override;
  void close() override;
  bool is_closing() const override;
  void sendto(pep3156::BytesView data, const std::optional<pep3156::SocketAddress>& address) override;
  void abort() override;
  std::size_t get_write_buffer_size() const override;

 private:
  PyRef transport_;
};

}  // namespace loopcert_python
