/**
 * @file fuzz_sse_parser.cpp
 * @brief libFuzzer target: the parser must not crash, and its events must not depend on
 *        where the stream is cut into chunks (the first input byte picks the cuts).
 */
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "mastra/sse_parser.hpp"

namespace {

struct Owned {
  std::string event, data, id, retry;
  bool has_retry;
  bool operator==(const Owned& o) const {
    return event == o.event && data == o.data && id == o.id && retry == o.retry &&
           has_retry == o.has_retry;
  }
};

std::vector<Owned> run(const char* data, std::size_t size, std::size_t step, std::string* last_id) {
  mastra::SseParser parser(1 << 20);
  std::vector<Owned> out;
  for (std::size_t i = 0; i < size; i += step) {
    const std::size_t n = size - i < step ? size - i : step;
    for (const mastra::SseEvent& e : parser.feed(data + i, n)) {
      if (e.data_ascii) {
        for (char c : e.data) {
          if (static_cast<unsigned char>(c) >= 0x80) std::abort();
        }
      }
      out.push_back({std::string(e.event), std::string(e.data), std::string(e.id),
                     std::string(e.retry), e.has_retry});
    }
  }
  *last_id = std::string(parser.last_event_id());
  parser.close();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = 1 + bytes[0] % 17;
  const char* data = reinterpret_cast<const char*>(bytes + 1);
  const std::size_t n = size - 1;
  std::string whole_id;
  std::string cut_id;
  const std::vector<Owned> whole = run(data, n, n == 0 ? 1 : n, &whole_id);
  const std::vector<Owned> cut = run(data, n, step, &cut_id);
  if (!(whole == cut) || whole_id != cut_id) std::abort();
  if (!whole.empty()) {
    // Whatever the parser produced must survive an encode -> parse round trip of its data.
    const std::string wire = mastra::encode_sse(whole.back().data);
    mastra::SseParser again;
    const auto& events = again.feed(wire.data(), wire.size());
    if (events.size() != 1) std::abort();
  }
  return 0;
}
