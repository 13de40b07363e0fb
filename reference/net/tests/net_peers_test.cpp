// Real peers, not only ourselves: Python's asyncio (Debian's
// /usr/bin/python3) as server to our clients and as client to our servers,
// over TCP, UDP and UNIX-domain sockets; socat as a dumb peer that
// half-closes, resets, or never reads. Each child prints a line when it is
// ready; the test synchronises on that line, never on time.
#include <signal.h>
#include <sys/socket.h>

#include "net_testing.hpp"

using namespace pep3156;
using namespace pep3156::testing;

namespace {

/// asyncio servers: echo over TCP, UNIX or UDP; print where they listen,
/// then serve until stdin closes.
constexpr const char* kPythonServer = R"(
import asyncio, sys

class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
    def data_received(self, data):
        self.transport.write(data)
    def eof_received(self):
        return False  # flush the echo, then close

class DatagramEcho(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport
    def datagram_received(self, data, addr):
        self.transport.sendto(data[::-1], addr)

async def main(kind, where):
    loop = asyncio.get_running_loop()
    if kind == 'tcp':
        server = await loop.create_server(Echo, '127.0.0.1', 0)
        print(server.sockets[0].getsockname()[1], flush=True)
    elif kind == 'unix':
        server = await loop.create_unix_server(Echo, where)
        print('ready', flush=True)
    else:
        transport, _ = await loop.create_datagram_endpoint(DatagramEcho, local_addr=('127.0.0.1', 0))
        print(transport.get_extra_info('sockname')[1], flush=True)
    await loop.run_in_executor(None, sys.stdin.read)

asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
)";

/// asyncio clients: send a payload, half-close (streams), check what comes
/// back, print the outcome.
constexpr const char* kPythonClient = R"(
import asyncio, sys

async def stream(kind, where):
    payload = bytes(range(256)) * 4096  # 1 MiB
    if kind == 'tcp':
        reader, writer = await asyncio.open_connection('127.0.0.1', int(where))
    else:
        reader, writer = await asyncio.open_unix_connection(where)
    writer.write(payload)
    await writer.drain()
    writer.write_eof()
    echoed = await reader.read()
    writer.close()
    await writer.wait_closed()
    print('ok' if echoed == payload else 'mismatch %d' % len(echoed), flush=True)

async def datagram(port):
    loop = asyncio.get_running_loop()
    replies = asyncio.Queue()
    class Client(asyncio.DatagramProtocol):
        def datagram_received(self, data, addr):
            replies.put_nowait(data)
    transport, _ = await loop.create_datagram_endpoint(Client, remote_addr=('127.0.0.1', int(port)))
    transport.sendto(b'datagram from python')
    reply = await asyncio.wait_for(replies.get(), 30)
    transport.close()
    print('ok' if reply == b'nohtyp morf margatad' else 'mismatch %r' % reply, flush=True)

kind, where = sys.argv[1], sys.argv[2]
asyncio.run(datagram(where) if kind == 'udp' else stream(kind, where))
)";

ChildProcess python(const char* script, std::vector<std::string> args) {
  std::vector<std::string> argv{kSystemPython, "-c", script};
  argv.insert(argv.end(), args.begin(), args.end());
  return ChildProcess(argv);
}

std::string payload() {
  std::string data;
  for (int i = 0; i < 300000; ++i) data += static_cast<char>('A' + i % 61);
  return data;
}

/// Our client against an echo server: send, half-close, read the echo to EOF.
void exchange_with_echo_server(AbstractEventLoop& loop, Future<StreamConnection> connecting,
                               RecordingFactory& clients) {
  run(loop, connecting);
  auto client = clients.made.at(0);
  std::string data = payload();
  client->transport->write(data);
  client->transport->write_eof();
  run(loop, client->lost);  // the server's EOF closes us (eof_received -> false)
  CHECK(client->lost_error == nullptr);
  CHECK(client->received == data);
  CHECK(client->count("eof") == 1);
}

/// Our echo server serving one asyncio client until it is done.
void serve_one_client(AbstractEventLoop& loop, RecordingFactory& servers, ChildProcess& client) {
  run_until(loop, [&] { return servers.made.size() == 1 && servers.made[0]->is_lost(); });
  CHECK(client.read_line() == "ok");
  CHECK(client.wait() == 0);
  CHECK(servers.made[0]->lost_error == nullptr);
}

}  // namespace

TEST_CASE("asyncio as a TCP server to our client") {
  for_each_loop([](AbstractEventLoop& loop) {
    ChildProcess server = python(kPythonServer, {"tcp"});
    auto port = static_cast<std::uint16_t>(std::stoi(server.read_line()));
    RecordingFactory clients{loop};
    exchange_with_echo_server(loop, loop.create_connection(clients.factory(), "127.0.0.1", port), clients);
    server.close_stdin();
    CHECK(server.wait() == 0);
  });
}

TEST_CASE("asyncio as a TCP client to our server") {
  for_each_loop([](AbstractEventLoop& loop) {
    RecordingFactory servers{loop, {}, echo};
    auto server = run(loop, loop.create_server(servers.factory(), "127.0.0.1", 0));
    std::uint16_t port = server->sockets().at(0).address.port();
    ChildProcess client = python(kPythonClient, {"tcp", std::to_string(port)});
    serve_one_client(loop, servers, client);
    server->close();
    run(loop, server->wait_closed());
  });
}

TEST_CASE("asyncio over UNIX-domain sockets, both ways") {
  for_each_loop([](AbstractEventLoop& loop) {
    std::string theirs = temporary_socket_path("python-server");
    ChildProcess server = python(kPythonServer, {"unix", theirs});
    CHECK(server.read_line() == "ready");
    RecordingFactory clients{loop};
    exchange_with_echo_server(loop, loop.create_unix_connection(clients.factory(), theirs), clients);
    server.close_stdin();
    CHECK(server.wait() == 0);

    std::string ours = temporary_socket_path("our-server");
    RecordingFactory servers{loop, {}, echo};
    auto our_server = run(loop, loop.create_unix_server(servers.factory(), ours));
    ChildProcess client = python(kPythonClient, {"unix", ours});
    serve_one_client(loop, servers, client);
    our_server->close();
    run(loop, our_server->wait_closed());
    ::unlink(theirs.c_str());
  });
}

namespace {
/// A datagram protocol that answers every datagram reversed.
class ReversingDatagrams : public DatagramProtocol {
 public:
  void connection_made(std::shared_ptr<BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<DatagramTransport>(t);
  }
  void datagram_received(BytesView data, const SocketAddress& address) override {
    std::string text = to_string(data);
    received.push_back(text);
    transport->sendto(as_bytes(std::string(text.rbegin(), text.rend())), address);
  }
  std::shared_ptr<DatagramTransport> transport;
  std::vector<std::string> received;
};

class CollectingDatagrams : public DatagramProtocol {
 public:
  void datagram_received(BytesView data, const SocketAddress&) override {
    received.push_back(to_string(data));
  }
  std::vector<std::string> received;
};
}  // namespace

TEST_CASE("asyncio over UDP, both ways") {
  for_each_loop([](AbstractEventLoop& loop) {
    ChildProcess server = python(kPythonServer, {"udp"});
    auto port = static_cast<std::uint16_t>(std::stoi(server.read_line()));
    auto ours = std::make_shared<CollectingDatagrams>();
    auto [transport, protocol] = run(
        loop,
        loop.create_datagram_endpoint([ours] { return ours; }, {.remote_addr = HostPort{"127.0.0.1", port}}));
    transport->sendto(as_bytes("to python"));
    run_until(loop, [&] { return ours->received.size() == 1; });
    CHECK(ours->received[0] == "nohtyp ot");
    transport->close();
    server.close_stdin();
    CHECK(server.wait() == 0);

    auto reversing = std::make_shared<ReversingDatagrams>();
    auto endpoint = run(loop, loop.create_datagram_endpoint([reversing] { return reversing; },
                                                            {.local_addr = HostPort{"127.0.0.1", 0}}));
    std::uint16_t our_port = endpoint.first->get_extra_info<SocketAddress>("sockname", {}).port();
    ChildProcess client = python(kPythonClient, {"udp", std::to_string(our_port)});
    run_until(loop, [&] { return reversing->received.size() == 1; });
    CHECK(client.read_line() == "ok");
    CHECK(client.wait() == 0);
    endpoint.first->close();
    spin(loop);
  });
}

TEST_CASE("socat half-closes: we read its EOF, answer on the open half, then close") {
  for_each_loop([](AbstractEventLoop& loop) {
    RecordingFactory servers{loop, {}, [](RecordingProtocol& p) {
                               p.keep_open_on_eof = true;  // PROTO-EOF-RETURN-FALSE-CLOSES, the true case
                               p.on_eof = [](RecordingProtocol& self) {
                                 self.transport->write("got: " + self.received);
                                 self.transport->close();
                               };
                             }};
    auto server = run(loop, loop.create_server(servers.factory(), "127.0.0.1", 0));
    std::string address = "TCP:127.0.0.1:" + std::to_string(server->sockets().at(0).address.port());
    // socat copies its stdin to us and, at its EOF, shuts down its write
    // side; it copies what we send to its stdout until we close.
    ChildProcess socat({"/usr/bin/socat", "-t", "30", "STDIO", address});
    write_all(socat.stdin_fd(), "question");
    socat.close_stdin();
    run_until(loop, [&] { return servers.made.size() == 1 && servers.made[0]->is_lost(); });
    CHECK(socat.read_rest() == "got: question");
    CHECK(socat.wait() == 0);
    CHECK(servers.made[0]->calls == std::vector<std::string>{"made", "data", "eof", "lost"});
    server->close();
    run(loop, server->wait_closed());
  });
}

TEST_CASE("socat resets the connection: connection_lost(ECONNRESET)") {
  for_each_loop([](AbstractEventLoop& loop) {
    RecordingFactory servers{loop};
    auto server = run(loop, loop.create_server(servers.factory(), "127.0.0.1", 0));
    std::string address =
        "TCP:127.0.0.1:" + std::to_string(server->sockets().at(0).address.port()) + ",linger=0";
    ChildProcess socat({"/usr/bin/socat", "STDIO", address});
    write_all(socat.stdin_fd(), "hello");
    run_until(loop, [&] { return servers.made.size() == 1 && servers.made[0]->received == "hello"; });
    socat.kill();  // the kernel closes its socket; SO_LINGER 0 makes that a RST
    run(loop, servers.made[0]->lost);
    CHECK(error_code(servers.made[0]->lost_error) == ECONNRESET);
    server->close();
    run(loop, server->wait_closed());
  });
}

TEST_CASE("socat never reads: our writer pauses at the high water mark and the buffer stops growing") {
  for_each_loop([](AbstractEventLoop& loop) {
    std::string chunk(16384, 'w');
    RecordingFactory servers{loop, {}, [&chunk](RecordingProtocol& p) {
                               auto produce = [&chunk](RecordingProtocol& self) {
                                 while (!self.writing_paused && !self.transport->is_closing()) {
                                   self.transport->write(chunk);
                                 }
                               };
                               p.on_made = produce;
                               p.on_resume = produce;
                             }};
    auto server = run(loop, loop.create_server(servers.factory(), "127.0.0.1", 0));
    std::string address = "TCP:127.0.0.1:" + std::to_string(server->sockets().at(0).address.port());
    // -u: socat only copies its stdin to us and never reads the socket.
    ChildProcess socat({"/usr/bin/socat", "-u", "STDIN", address});
    run_until(loop, [&] { return servers.made.size() == 1 && servers.made[0]->writing_paused; });
    auto& protocol = *servers.made[0];
    spin(loop, 20);
    CHECK(protocol.writing_paused);
    CHECK(protocol.count("pause") == 1);
    CHECK(protocol.transport->get_write_buffer_size() <= 64 * 1024 + chunk.size());
    protocol.transport->abort();
    run(loop, protocol.lost);
    socat.close_stdin();
    socat.wait();
    server->close();
    run(loop, server->wait_closed());
  });
}
