"""A pure-Python event-stream parser written from the WHATWG HTML specification.

It follows the spec's steps literally: decode the whole stream as UTF-8 with
replacement, strip one leading BOM, split lines at CRLF, LF or CR, interpret each line,
and dispatch at blank lines. It is slow and simple on purpose: the compiled parser must
give exactly its events.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RefEvent:
    event: str
    data: str
    id: str
    retry: int | None


@dataclass
class RefResult:
    events: list[RefEvent] = field(default_factory=list)
    last_event_id: str = ""
    retry: int | None = None


def complete_lines(text: str) -> list[str]:
    """The lines that end with a terminator; the unterminated tail is dropped."""
    lines: list[str] = []
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "\r\n":
            lines.append(text[start:i])
            if ch == "\r" and i + 1 < len(text) and text[i + 1] == "\n":
                i += 1
            start = i + 1
        i += 1
    return lines


def parse_reference(stream: bytes) -> RefResult:
    """Parses a whole stream; events left unterminated at its end are discarded."""
    text = stream.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    result = RefResult()
    data_buffer = ""
    event_type = ""
    last_id_buffer = ""
    block_retry: int | None = None
    for line in complete_lines(text):
        if line == "":
            # "Dispatch the event".
            result.last_event_id = last_id_buffer
            if data_buffer == "":
                event_type = ""
                block_retry = None
                continue
            data = data_buffer[:-1] if data_buffer.endswith("\n") else data_buffer
            result.events.append(
                RefEvent(event_type or "message", data, last_id_buffer, block_retry)
            )
            data_buffer = ""
            event_type = ""
            block_retry = None
            continue
        if line.startswith(":"):
            continue
        if ":" in line:
            name, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
        else:
            name, value = line, ""
        if name == "event":
            event_type = value
        elif name == "data":
            data_buffer += value + "\n"
        elif name == "id":
            if "\0" not in value:
                last_id_buffer = value
        elif name == "retry" and value != "" and all(c in "0123456789" for c in value):
            result.retry = int(value)
            block_retry = int(value)
    return result
