/**
 * @file test_sse_parser.cpp
 * @brief Named cases of the WHATWG event-stream rules for mastra::SseParser.
 */
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "check.hpp"
#include "mastra/sse_parser.hpp"
#include "sse_line_scan.hpp"

namespace {

struct Owned {
  std::string event, data, id, retry;
  bool has_retry;
  bool operator==(const Owned& o) const {
    return event == o.event && data == o.data && id == o.id && retry == o.retry &&
           has_retry == o.has_retry;
  }
};

std::vector<Owned> feed_all(mastra::SseParser& parser, const std::vector<std::string>& chunks) {
  std::vector<Owned> out;
  for (const std::string& chunk : chunks) {
    for (const mastra::SseEvent& e : parser.feed(chunk.data(), chunk.size())) {
      out.push_back({std::string(e.event), std::string(e.data), std::string(e.id),
                     std::string(e.retry), e.has_retry});
    }
  }
  return out;
}

std::vector<Owned> parse(const std::string& stream) {
  mastra::SseParser parser;
  return feed_all(parser, {stream});
}

std::vector<Owned> parse_bytewise(const std::string& stream) {
  mastra::SseParser parser;
  std::vector<std::string> chunks;
  for (char c : stream) chunks.emplace_back(1, c);
  return feed_all(parser, chunks);
}

}  // namespace

TEST_CASE("simple event") {
  const auto out = parse("data: hello\n\n");
  CHECK(out.size() == 1);
  CHECK(out[0].event == "message");
  CHECK(out[0].data == "hello");
  CHECK(out[0].id.empty());
  CHECK(!out[0].has_retry);
}

TEST_CASE("line endings and joined data, whole and byte by byte") {
  const std::string stream = "data: a\r\ndata:b\rdata\n\r\n";
  for (const auto& out : {parse(stream), parse_bytewise(stream)}) {
    CHECK(out.size() == 1);
    CHECK(out[0].data == "a\nb\n");
  }
}

TEST_CASE("BOM stripped once, also when split") {
  CHECK(parse("\xEF\xBB\xBF" "data: a\n\n").size() == 1);
  CHECK(parse_bytewise("\xEF\xBB\xBF" "data: a\n\n").size() == 1);
  CHECK(parse("\xEF\xBB\xBF\xEF\xBB\xBF" "data: a\n\n").empty());
  CHECK(parse("\xEF\xBB" "data: a\n\n").empty());
}

TEST_CASE("comments, unknown fields, case sensitivity") {
  const auto out = parse(": c\nData: x\nfoo\ndata: y\n\n");
  CHECK(out.size() == 1);
  CHECK(out[0].data == "y");
}

TEST_CASE("event type resets, empty data dispatches nothing") {
  const auto out = parse("event: a\n\nevent: b\ndata: 1\n\ndata: 2\n\n");
  CHECK(out.size() == 2);
  CHECK(out[0].event == "b");
  CHECK(out[1].event == "message");
}

TEST_CASE("id persists, NUL ignored, empty resets") {
  const std::string with_nul("id: 1\ndata: a\n\nid: x\0y\ndata: b\n\nid\ndata: c\n\n", 44);
  mastra::SseParser p2;
  const auto out2 = feed_all(p2, {with_nul});
  CHECK(out2.size() == 3);
  CHECK(out2[0].id == "1");
  CHECK(out2[1].id == "1");
  CHECK(out2[2].id.empty());
  CHECK(p2.last_event_id().empty());
}

TEST_CASE("retry digits only, per block and persistent") {
  mastra::SseParser parser;
  const auto out = feed_all(parser, {"retry: 0150\ndata: a\n\nretry: 1x\ndata: b\n\n"});
  CHECK(out.size() == 2);
  CHECK(out[0].has_retry && out[0].retry == "150");
  CHECK(!out[1].has_retry);
  CHECK(parser.retry().has_value() && *parser.retry() == "150");
  CHECK(parse("retry: 000\ndata: a\n\n")[0].retry == "0");
}

TEST_CASE("unterminated event discarded, feed after close throws") {
  mastra::SseParser parser;
  CHECK(feed_all(parser, {"data: a\n\ndata: b\n"}).size() == 1);
  parser.close();
  CHECK_THROWS_AS(parser.feed("x", 1), mastra::StreamError);
}

TEST_CASE("max_event_size") {
  mastra::SseParser parser(16);
  CHECK_THROWS_AS(parser.feed("data: 0123456789abcdefgh\n", 25), mastra::StreamError);
  CHECK(parser.closed());
  mastra::SseParser ok(16);
  CHECK(feed_all(ok, {"data: 0123456789\n\n", "data: 0123456789\n\n"}).size() == 2);
}

TEST_CASE("large events across chunks and many events in one chunk") {
  std::string stream = "data: " + std::string(100000, 'x') + "\ndata: y\n\n";
  for (int i = 0; i < 1000; ++i) stream += "event: e\ndata: " + std::to_string(i) + "\n\n";
  mastra::SseParser parser;
  std::vector<std::string> chunks;
  for (std::size_t i = 0; i < stream.size(); i += 4096) chunks.push_back(stream.substr(i, 4096));
  const auto out = feed_all(parser, chunks);
  CHECK(out.size() == 1001);
  CHECK(out[0].data.size() == 100002);
  CHECK(out[1000].data == "999" && out[1000].event == "e");
  CHECK(out == parse(stream));
}

TEST_CASE("encode_sse round trip and checks") {
  const std::string wire = mastra::encode_sse("a\r\nb\rc", "e", "7", 5, "hi\nthere");
  CHECK(wire == ": hi\n: there\nevent: e\nid: 7\nretry: 5\ndata: a\ndata: b\ndata: c\n\n");
  const auto out = parse(wire);
  CHECK(out.size() == 1 && out[0].data == "a\nb\nc" && out[0].event == "e" && out[0].id == "7");
  CHECK_THROWS_AS(mastra::encode_sse("x", std::string_view("a\nb")), mastra::StreamError);
  CHECK_THROWS_AS(mastra::encode_sse("x", {}, std::string_view("a\rb")), mastra::StreamError);
  CHECK_THROWS_AS(mastra::encode_sse("x", {}, std::string_view("a\0b", 3)), mastra::StreamError);
}

TEST_CASE("line scan: vector path equals the portable loop") {
  std::mt19937 rng(7);
  const char alphabet[] = {'a', '{', ':', ' ', '\n', '\r', '\x80', '\xC3', '\xFF', '\x7F'};
  for (int round = 0; round < 20000; ++round) {
    std::string text(rng() % 70, 'x');
    for (char& c : text) c = rng() % 4 == 0 ? alphabet[rng() % sizeof(alphabet)] : 'x';
    const std::size_t from = text.empty() ? 0 : rng() % (text.size() + 1);
    const auto fast = mastra::detail::scan_line(text.data(), from, text.size());
    const auto slow = mastra::detail::scan_line_portable(text.data(), from, text.size());
    CHECK(fast.end == slow.end);
    CHECK(fast.ascii == slow.ascii);
  }
}

TEST_CASE("data_ascii is set only for ASCII data, across chunks and lines") {
  const std::string stream = std::string("data: plain\n\n") + "data: caf\xC3\xA9\n\n" +
                             "data: a\ndata: \xC3\xA9\n\n" + "data: " + std::string(40, 'y') +
                             "\ndata: z\n\n" + "\xEF\xBB\xBF";
  for (std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{17}, stream.size()}) {
    mastra::SseParser parser;
    std::vector<bool> flags;
    for (std::size_t i = 0; i < stream.size(); i += step) {
      for (const mastra::SseEvent& e : parser.feed(stream.data() + i,
                                                   std::min(step, stream.size() - i))) {
        flags.push_back(e.data_ascii);
      }
    }
    CHECK(flags == std::vector<bool>({true, false, false, true}));
  }
  mastra::SseParser bom;  // a BOM cut after one byte, then not completed: not ASCII
  CHECK(bom.feed("\xEF", 1).empty());
  const auto& events = bom.feed("x\ndata: k\n\n", 12);
  CHECK(events.size() == 1 && events[0].data == "k" && events[0].data_ascii);
}

TEST_MAIN()
