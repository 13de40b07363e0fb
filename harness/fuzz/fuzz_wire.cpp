// Fuzz target: the wire from a case process to loopcert (JSON lines on a
// pipe). decode_messages() never throws: a line it cannot read is listed
// as garbled, and a result it reads survives encode_result() and back.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "running/wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto messages = loopcert::decode_messages(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!messages.result) return 0;
  auto again = loopcert::decode_messages(loopcert::encode_result(*messages.result));
  if (!again.result || again.result->outcome != messages.result->outcome ||
      again.result->latency.size() != messages.result->latency.size()) {
    std::abort();
  }
  return 0;
}
