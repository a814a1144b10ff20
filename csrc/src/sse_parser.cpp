/**
 * @file sse_parser.cpp
 * @brief The WHATWG event-stream interpretation rules, on bytes, chunk by chunk.
 */
#include "mastra/sse_parser.hpp"

#include "sse_line_scan.hpp"

#include <algorithm>
#include <cstring>

namespace mastra {
namespace {

constexpr char kBom[3] = {'\xEF', '\xBB', '\xBF'};
constexpr std::string_view kMessage = "message";
// Values larger than this leave data_buf_ by a move instead of a copy into the arena.
constexpr std::size_t kMoveThreshold = 4096;

bool all_ascii_digits(std::string_view value) {
  if (value.empty()) return false;
  return std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view strip_leading_zeros(std::string_view digits) {
  const std::size_t first = digits.find_first_not_of('0');
  return first == std::string_view::npos ? digits.substr(digits.size() - 1) : digits.substr(first);
}

// Calls emit(line) for each line of text split at CRLF, LF or CR.
template <typename Emit>
void for_each_line(std::string_view text, Emit&& emit) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '\n' && c != '\r') continue;
    emit(text.substr(start, i - start));
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  emit(text.substr(start));
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.push_back(':');
  if (!value.empty()) {
    out.push_back(' ');
    out.append(value);
  }
  out.push_back('\n');
}

void reject_line_breaks(std::string_view value, const char* what) {
  if (value.find_first_of("\r\n") != std::string_view::npos) {
    throw StreamError(std::string("the SSE ") + what +
                      " must not contain CR or LF, which would end its line; remove them");
  }
}

}  // namespace

const std::vector<SseEvent>& SseParser::feed(const char* data, std::size_t size) {
  if (closed_) {
    throw StreamError("feed() was called after close(); create a new SSEParser for a new stream");
  }
  records_.clear();
  events_.clear();
  arena_.clear();
  owned_.clear();
  id_snapshot_valid_ = false;
  event_snapshot_valid_ = false;

  std::size_t i = 0;
  while (!bom_done_ && i < size) {
    if (data[i] == kBom[bom_matched_]) {
      ++i;
      if (++bom_matched_ == sizeof(kBom)) bom_done_ = true;
    } else {
      // Not a BOM: the bytes matched so far start the first line.
      line_buf_.assign(kBom, bom_matched_);
      line_buf_ascii_ = bom_matched_ == 0;
      bom_done_ = true;
    }
  }

  try {
    while (i < size) {
      if (pending_cr_) {
        pending_cr_ = false;
        if (data[i] == '\n') {
          ++i;
          continue;
        }
      }
      const detail::LineScan scan = detail::scan_line(data, i, size);
      const std::size_t end = scan.end;
      if (end == size) {
        check_size(line_buf_.size() + (size - i));
        line_buf_.append(data + i, size - i);
        line_buf_ascii_ = line_buf_ascii_ && scan.ascii;
        break;
      }
      if (line_buf_.empty()) {
        process_line(std::string_view(data + i, end - i), true, scan.ascii);
      } else {
        check_size(line_buf_.size() + (end - i));
        line_buf_.append(data + i, end - i);
        process_line(line_buf_, false, line_buf_ascii_ && scan.ascii);
        line_buf_.clear();
        line_buf_ascii_ = true;
      }
      i = end + 1;
      if (data[end] == '\r') {
        if (i == size) {
          pending_cr_ = true;
        } else if (data[i] == '\n') {
          ++i;
        }
      }
    }
    materialise_chunk_data();
  } catch (...) {
    closed_ = true;
    throw;
  }

  events_.reserve(records_.size());
  for (const Record& r : records_) {
    events_.push_back({resolve(r.event), resolve(r.data), resolve(r.id), resolve(r.retry),
                       r.has_retry, r.data_ascii});
  }
  return events_;
}

void SseParser::close() {
  // WHATWG: at the end of the stream, an event without its blank line is discarded.
  closed_ = true;
  line_buf_.clear();
  line_buf_.shrink_to_fit();
  line_buf_ascii_ = true;
  data_buf_.clear();
  data_buf_.shrink_to_fit();
  data_lines_ = 0;
  chunk_data_ = nullptr;
  records_.clear();
  events_.clear();
  arena_.clear();
  owned_.clear();
}

void SseParser::check_size(std::size_t pending_line) const {
  if (max_event_size_ == 0) return;
  const std::size_t data_size = chunk_data_ != nullptr ? chunk_data_size_ : data_buf_.size();
  const std::size_t total = pending_line + data_size + event_buf_.size();
  if (total > max_event_size_) {
    throw StreamError("an SSE event exceeds max_event_size (" + std::to_string(max_event_size_) +
                      " bytes); raise max_event_size if the server sends events this large");
  }
}

void SseParser::process_line(std::string_view line, bool from_chunk, bool ascii) {
  if (line.empty()) {
    dispatch();
    return;
  }
  if (line.front() == ':') return;  // a comment
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    process_field(line, std::string_view(), from_chunk, ascii);
    return;
  }
  std::string_view value = line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  process_field(line.substr(0, colon), value, from_chunk, ascii);
}

void SseParser::process_field(std::string_view name, std::string_view value, bool from_chunk,
                              bool ascii) {
  if (name == "data") {
    append_data(value, from_chunk, ascii);
  } else if (name == "event") {
    event_buf_.assign(value);
    check_size(0);
  } else if (name == "id") {
    if (value.find('\0') == std::string_view::npos) id_buf_.assign(value);
  } else if (name == "retry") {
    if (all_ascii_digits(value)) {
      const std::string_view digits = strip_leading_zeros(value);
      retry_.assign(digits);
      has_retry_ = true;
      block_retry_.assign(digits);
      block_has_retry_ = true;
    }
  }
  // Any other field name is ignored.
}

void SseParser::append_data(std::string_view value, bool from_chunk, bool ascii) {
  data_ascii_ = (data_lines_ == 0 || data_ascii_) && ascii;
  if (data_lines_ == 0 && from_chunk) {
    chunk_data_ = value.data();
    chunk_data_size_ = value.size();
  } else {
    materialise_chunk_data();
    if (data_lines_ > 0) data_buf_.push_back('\n');
    data_buf_.append(value);
  }
  ++data_lines_;
  check_size(0);
}

void SseParser::materialise_chunk_data() {
  if (chunk_data_ == nullptr) return;
  data_buf_.assign(chunk_data_, chunk_data_size_);
  chunk_data_ = nullptr;
}

SseParser::Slice SseParser::to_arena(std::string_view bytes) {
  Slice slice;
  slice.offset = arena_.size();
  slice.size = bytes.size();
  arena_.append(bytes);
  return slice;
}

std::string_view SseParser::resolve(const Slice& slice) const {
  if (slice.ptr != nullptr) return {slice.ptr, slice.size};
  return {arena_.data() + slice.offset, slice.size};
}

void SseParser::dispatch() {
  // WHATWG "dispatch the event": the last event ID string is set even when nothing is
  // dispatched.
  if (last_event_id_ != id_buf_) last_event_id_ = id_buf_;
  if (data_lines_ == 0) {
    event_buf_.clear();
    block_has_retry_ = false;
    return;
  }
  Record r;
  r.data_ascii = data_ascii_;
  if (chunk_data_ != nullptr) {
    r.data.ptr = chunk_data_;
    r.data.size = chunk_data_size_;
    chunk_data_ = nullptr;
  } else if (data_buf_.size() > kMoveThreshold) {
    owned_.push_back(std::move(data_buf_));
    data_buf_ = std::string();
    r.data.ptr = owned_.back().data();
    r.data.size = owned_.back().size();
  } else {
    r.data = to_arena(data_buf_);
    data_buf_.clear();
  }

  if (event_buf_.empty()) {
    r.event.ptr = kMessage.data();
    r.event.size = kMessage.size();
  } else {
    if (!event_snapshot_valid_ || resolve(event_snapshot_) != event_buf_) {
      event_snapshot_ = to_arena(event_buf_);
      event_snapshot_valid_ = true;
    }
    r.event = event_snapshot_;
    event_buf_.clear();
  }

  if (!id_snapshot_valid_ || resolve(id_snapshot_) != last_event_id_) {
    id_snapshot_ = to_arena(last_event_id_);
    id_snapshot_valid_ = true;
  }
  r.id = id_snapshot_;

  if (block_has_retry_) {
    r.retry = to_arena(block_retry_);
    r.has_retry = true;
    block_has_retry_ = false;
  }
  data_lines_ = 0;
  records_.push_back(r);
}

std::string encode_sse(std::string_view data, std::optional<std::string_view> event,
                       std::optional<std::string_view> id, std::optional<std::uint64_t> retry,
                       std::optional<std::string_view> comment) {
  std::string out;
  out.reserve(data.size() + 16 + (event ? event->size() + 8 : 0) + (id ? id->size() + 5 : 0) +
              (comment ? comment->size() + 4 : 0));
  if (comment) {
    for_each_line(*comment, [&](std::string_view line) { append_field(out, "", line); });
  }
  if (event) {
    reject_line_breaks(*event, "event name");
    append_field(out, "event", *event);
  }
  if (id) {
    reject_line_breaks(*id, "event id");
    if (id->find('\0') != std::string_view::npos) {
      throw StreamError("the SSE event id must not contain NUL: receivers ignore such an id");
    }
    append_field(out, "id", *id);
  }
  if (retry) append_field(out, "retry", std::to_string(*retry));
  for_each_line(data, [&](std::string_view line) { append_field(out, "data", line); });
  out.push_back('\n');
  return out;
}

}  // namespace mastra
