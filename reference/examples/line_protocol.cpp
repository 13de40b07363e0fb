// PEP 3153's line-based protocol: bytes in, lines out, over any stream.
//
// A LineProtocol buffers what data_received() brings until a "\r\n"
// completes a line, then hands the line to line_received(); write_line()
// adds the "\r\n" and passes the bytes to the transport. Chunks arrive split
// and merged at random (a stream has no message boundaries), so the
// buffering is the whole point.
//
// The program runs a tiny line server (it answers each line in upper case,
// and "QUIT" with "BYE" and a close) and a client, both on one loop, and
// prints the conversation. Exits with 0 if every answer came back.
#include <cctype>
#include <cstdio>
#include <string>
#include <vector>

#include "pep3156/pep3156.hpp"
#include "reference/reference.hpp"

using namespace pep3156;

/// The reusable part: a stream protocol that speaks in lines.
class LineProtocol : public Protocol {
 public:
  /// Sends one line; the delimiter is added here.
  void write_line(std::string_view line) {
    std::string_view parts[] = {line, "\r\n"};
    // writelines(): both pieces in one gather write (PEP 3153's write_sequence).
    transport_->writelines(std::vector<BytesView>{as_bytes(parts[0]), as_bytes(parts[1])});
  }

  void connection_made(std::shared_ptr<BaseTransport> transport) override {
    transport_ = std::dynamic_pointer_cast<Transport>(transport);
    connected();
  }

  void data_received(BytesView data) override {
    pending_.append(as_text(data));
    std::size_t end;
    // Deliver every complete line; keep the incomplete tail for later.
    while (transport_ && (end = pending_.find("\r\n")) != std::string::npos) {
      std::string line = pending_.substr(0, end);
      pending_.erase(0, end + 2);
      line_received(line);
    }
  }

  void connection_lost(std::exception_ptr) override {
    transport_.reset();
    disconnected();
  }

 protected:
  virtual void connected() {}
  virtual void line_received(const std::string& line) = 0;
  virtual void disconnected() {}
  Transport& transport() { return *transport_; }

 private:
  std::shared_ptr<Transport> transport_;
  std::string pending_;
};

/// The server side: answers each line in upper case.
class ShoutingServer : public LineProtocol {
 protected:
  void line_received(const std::string& line) override {
    if (line == "quit") {
      write_line("BYE");
      transport().close();  // sends "BYE" first, then closes
      return;
    }
    std::string answer = line;
    for (char& c : answer) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    write_line(answer);
  }
};

/// The client side: sends its lines in one burst, collects the answers.
class Client : public LineProtocol {
 public:
  explicit Client(Future<void> done) : done_(std::move(done)) {}
  std::vector<std::string> answers;

 protected:
  void connected() override {
    // Three lines in one write(): the server still sees three lines.
    transport().write(std::string_view("hello\r\nline protocol\r\nquit\r\n"));
  }
  void line_received(const std::string& line) override {
    std::printf("< %s\n", line.c_str());
    answers.push_back(line);
  }
  void disconnected() override { done_.set_result(); }

 private:
  Future<void> done_;
};

int main() {
  auto loop = std::make_shared<reference::SelectorEventLoop>();
  auto server = loop->run_until_complete(
      loop->create_server([] { return std::make_shared<ShoutingServer>(); }, "127.0.0.1", 0));
  std::uint16_t port = server->sockets().at(0).address.port();

  auto done = loop->create_future<void>();
  auto client = std::make_shared<Client>(done);
  loop->run_until_complete(loop->create_connection([client] { return client; }, "127.0.0.1", port));
  loop->run_until_complete(done);  // the server said BYE and closed

  server->close();
  loop->run_until_complete(server->wait_closed());
  loop->close();
  bool ok = client->answers == std::vector<std::string>{"HELLO", "LINE PROTOCOL", "BYE"};
  return ok ? 0 : 1;
}
