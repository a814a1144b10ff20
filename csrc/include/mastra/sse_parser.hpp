/**
 * @file sse_parser.hpp
 * @brief An incremental Server-Sent Events parser and encoder, exactly per the WHATWG
 *        HTML "event stream" interpretation rules.
 *
 * The parser takes byte chunks cut anywhere (inside a line, inside a CRLF, inside a
 * UTF-8 sequence) and returns the events each chunk completes. It works on bytes: the
 * line terminators, the colon and the field names are ASCII, and a byte of an ASCII
 * character never occurs inside a multi-byte UTF-8 sequence, so splitting bytes first and
 * decoding each value afterwards (with U+FFFD replacement) gives the same text as decoding
 * the stream first. Decoding is left to the caller.
 *
 * One vectorised pass per line finds its end and whether it is ASCII (so the binding
 * can skip UTF-8 decoding); the values of an event point into the caller's chunk when
 * they lie whole inside it, so most events are never copied.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mastra/errors.hpp"

namespace mastra {

/// A malformed or oversized event stream, or a parser used after close().
class StreamError : public Error {
 public:
  using Error::Error;
};

/// One dispatched event. The views stay valid until the next feed() or close() on the
/// parser that made it, and (for values read from the chunk) while the chunk is alive.
struct SseEvent {
  std::string_view event;  ///< the event type; "message" when the stream named none
  std::string_view data;   ///< the data lines joined with "\n" (raw UTF-8 bytes)
  std::string_view id;     ///< the last event id in force when the event was dispatched
  std::string_view retry;  ///< ASCII digits of this block's valid retry field, or empty
  bool has_retry = false;  ///< whether this event's block held a valid retry field
  bool data_ascii = false; ///< true when data is known to hold only ASCII bytes
};

/// Incremental event-stream parser. Not thread-safe: one parser per stream.
class SseParser {
 public:
  /// @param max_event_size Largest number of bytes one event (its data, its type and the
  ///        line being read) may hold before feed() throws StreamError; 0 means no limit.
  explicit SseParser(std::size_t max_event_size = 0) : max_event_size_(max_event_size) {}

  /// Parses the next chunk and returns the events it completes, in stream order.
  /// Throws StreamError after close() or when an event exceeds max_event_size.
  const std::vector<SseEvent>& feed(const char* data, std::size_t size);

  /// Ends the stream: an unterminated event is discarded, and later feed() calls throw.
  void close();

  /// The last event id string: set at every blank line from the id buffer (WHATWG
  /// "last event ID string"), empty until a stream sets one.
  std::string_view last_event_id() const { return last_event_id_; }

  /// The reconnection time's ASCII digits (leading zeros removed), if a valid retry
  /// field was seen anywhere in the stream.
  std::optional<std::string_view> retry() const {
    if (!has_retry_) return std::nullopt;
    return std::string_view(retry_);
  }

  bool closed() const { return closed_; }
  std::size_t max_event_size() const { return max_event_size_; }

 private:
  // Where a dispatched value lives until feed() returns: in the caller's chunk (or a
  // static literal), in arena_ (small copies), or in one of owned_ (large moves).
  struct Slice {
    const char* ptr = nullptr;  // set when the bytes do not move during feed()
    std::size_t offset = 0;     // into arena_ when ptr == nullptr
    std::size_t size = 0;
  };
  struct Record {
    Slice event, data, id, retry;
    bool has_retry = false;
    bool data_ascii = false;
  };

  void process_line(std::string_view line, bool from_chunk, bool ascii);
  void process_field(std::string_view name, std::string_view value, bool from_chunk,
                     bool ascii);
  void append_data(std::string_view value, bool from_chunk, bool ascii);
  void materialise_chunk_data();
  void dispatch();
  void check_size(std::size_t pending_line) const;
  Slice to_arena(std::string_view bytes);
  std::string_view resolve(const Slice& slice) const;

  std::size_t max_event_size_;
  bool closed_ = false;
  bool bom_done_ = false;
  std::size_t bom_matched_ = 0;
  bool pending_cr_ = false;  // the previous chunk ended with CR: skip one leading LF

  std::string line_buf_;  // a line cut by a chunk boundary, waiting for its end
  bool line_buf_ascii_ = true;

  // The event being built (the WHATWG data, event type and last event ID buffers).
  std::size_t data_lines_ = 0;
  bool data_ascii_ = true;  // every data line so far held only ASCII bytes
  const char* chunk_data_ = nullptr;  // the data value, while it lies in the chunk
  std::size_t chunk_data_size_ = 0;
  std::string data_buf_;  // the data value once copied out of the chunk
  std::string event_buf_;
  std::string id_buf_;
  std::string block_retry_;
  bool block_has_retry_ = false;

  std::string last_event_id_;
  std::string retry_;
  bool has_retry_ = false;

  // Per-feed output.
  std::vector<Record> records_;
  std::vector<SseEvent> events_;
  std::string arena_;
  std::deque<std::string> owned_;
  Slice id_snapshot_;  // the id value already in arena_ for this feed
  bool id_snapshot_valid_ = false;
  Slice event_snapshot_;
  bool event_snapshot_valid_ = false;
};

/// Encodes one event. Data is split at CRLF, LF and CR into "data:" lines; a comment
/// likewise into ":" lines. Throws StreamError when event or id holds CR or LF, or id
/// holds NUL, since the parser could not give them back.
std::string encode_sse(std::string_view data, std::optional<std::string_view> event = {},
                       std::optional<std::string_view> id = {},
                       std::optional<std::uint64_t> retry = {},
                       std::optional<std::string_view> comment = {});

}  // namespace mastra
