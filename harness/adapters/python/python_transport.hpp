// The contract's transports over a Python loop's transport objects
// (asyncio's _SelectorSocketTransport, _SelectorDatagramTransport,
// _UnixReadPipeTransport, _UnixSubprocessTransport, uvloop's TCPTransport,
// UDPTransport, ReadUnixTransport, UVProcessTransport, ...), every method
// forwarded.
#pragma once

#include <array>
#include <memory>

#include "interpreter.hpp"
#include "pep3156/transports.hpp"

namespace loopcert_python {

class PythonTransport final : public pep3156::Transport {
 public:
  explicit PythonTransport(PyRef transport) : transport_(std::move(transport)) {}
  ~PythonTransport() override;

  /// "peername"/"sockname" (SocketAddress), "socket" or "pipe" (int fd); the Python
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

/// A read pipe's transport (connect_read_pipe(), a child's stdout or
/// stderr): a PythonTransport with only the reading methods, as the PEP
/// says of it.
class PythonReadPipeTransport final : public pep3156::ReadTransport {
 public:
  explicit PythonReadPipeTransport(PyRef transport) : python_(std::move(transport)) {}

  std::any get_extra_info(std::string_view name) const override { return python_.get_extra_info(name); }
  void close() override { python_.close(); }
  bool is_closing() const override { return python_.is_closing(); }
  void pause_reading() override { python_.pause_reading(); }
  void resume_reading() override { python_.resume_reading(); }

 private:
  PythonTransport python_;
};

/// A write pipe's transport (connect_write_pipe(), a child's stdin): a
/// PythonTransport without the reading methods ("it does not have any
/// read-related methods", LOOP-PIPE-WRITE).
class PythonWritePipeTransport final : public pep3156::WriteTransport {
 public:
  explicit PythonWritePipeTransport(PyRef transport) : python_(std::move(transport)) {}

  std::any get_extra_info(std::string_view name) const override { return python_.get_extra_info(name); }
  void close() override { python_.close(); }
  bool is_closing() const override { return python_.is_closing(); }
  void write(pep3156::BytesView data) override { python_.write(data); }
  void write_eof() override { python_.write_eof(); }
  bool can_write_eof() const override { return python_.can_write_eof(); }
  std::size_t get_write_buffer_size() const override { return python_.get_write_buffer_size(); }
  void set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) override {
    python_.set_write_buffer_limits(high, low);
  }
  void abort() override { python_.abort(); }

 private:
  PythonTransport python_;
};

/// A subprocess transport (subprocess_exec(), subprocess_shell()). Its
/// pipe transports are wrapped once each, so that every
/// get_pipe_transport(fd) of one pipe is the same object.
class PythonSubprocessTransport final : public pep3156::SubprocessTransport {
 public:
  explicit PythonSubprocessTransport(PyRef transport) : transport_(std::move(transport)) {}
  ~PythonSubprocessTransport() override;

  std::any get_extra_info(std::string_view name) const override;
  void close() override;
  bool is_closing() const override;
  int get_pid() const override;
  std::optional<int> get_returncode() const override;
  std::shared_ptr<pep3156::BaseTransport> get_pipe_transport(int fd) const override;
  void send_signal(int signal) override;
  void terminate() override;
  void kill() override;

 private:
  PyRef transport_;
  mutable std::array<std::shared_ptr<pep3156::BaseTransport>, 3> pipes_;  // by fd, once asked for
};

}  // namespace loopcert_python
