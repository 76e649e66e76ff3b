"""Decoding the engine's streamed answers: multiplexed output, log lines, JSON streams.

- A container without a TTY sends stdout and stderr over one connection as frames:
  an 8-byte header (stream id, three zero bytes, big-endian payload length) then
  the payload. `demux` splits them; with a TTY the bytes are raw stdout.
- `log_lines` reassembles frames into whole lines per stream (a frame may hold
  part of a line or several lines) and splits off the timestamp prefix.
- `json_stream` yields the JSON documents of events and pull progress, whatever
  separates them (newlines, CRLF, nothing).

Pure functions over async byte iterators: no I/O of their own and no httpx, so
they are tested with plain lists of bytes.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from runtime.engine.errors import EngineError
from runtime.engine.models import LogLine, OutputChunk, StreamName

_HEADER_SIZE = 8
_STREAMS: dict[int, StreamName] = {0: "stdout", 1: "stdout", 2: "stderr"}  # 0 (stdin) echoes as stdout


class StreamFormatError(EngineError):
    """The bytes are not a multiplexed stream (e.g. a TTY stream decoded as one).

    engine/http.py words it for the user, naming the host, as it leaves the client.
    """


async def demux(chunks: AsyncIterable[bytes]) -> AsyncIterator[OutputChunk]:
    """Split a multiplexed stream into its frames, in order."""
    buffer = bytearray()
    async for chunk in chunks:
        buffer += chunk
        while len(buffer) >= _HEADER_SIZE:
            stream_id = buffer[0]
            if stream_id not in _STREAMS or buffer[1:4] != b"\0\0\0":
                raise StreamFormatError(f"bad frame header {bytes(buffer[:_HEADER_SIZE])!r}")
            size = int.from_bytes(buffer[4:8], "big")
            if len(buffer) < _HEADER_SIZE + size:
                break
            payload = bytes(buffer[_HEADER_SIZE : _HEADER_SIZE + size])
            del buffer[: _HEADER_SIZE + size]
            if payload:
                yield OutputChunk(_STREAMS[stream_id], payload)
    if buffer:
        raise StreamFormatError(f"stream ended inside a frame ({len(buffer)} bytes left over)")


async def raw_chunks(chunks: AsyncIterable[bytes]) -> AsyncIterator[OutputChunk]:
    """A TTY stream: everything is stdout (the terminal merged stderr into it)."""
    async for chunk in chunks:
        if chunk:
            yield OutputChunk("stdout", chunk)


async def log_lines(frames: AsyncIterable[OutputChunk], *, timestamps: bool) -> AsyncIterator[LogLine]:
    """Whole lines per stream; a last line without a newline is still yielded at the end."""
    pending: dict[StreamName, bytearray] = {"stdout": bytearray(), "stderr": bytearray()}
    async for frame in frames:
        buffer = pending[frame.stream]
        buffer += frame.data
        while (end := buffer.find(b"\n")) >= 0:
            line = bytes(buffer[:end])
            del buffer[: end + 1]
            yield _log_line(frame.stream, line, timestamps)
    for stream, buffer in pending.items():
        if buffer:
            yield _log_line(stream, bytes(buffer), timestamps)


def _log_line(stream: StreamName, line: bytes, timestamps: bool) -> LogLine:
    text = line.decode("utf-8", errors="replace").removesuffix("\r")
    if timestamps:
        stamp, _, rest = text.partition(" ")
        return LogLine(stream, rest, stamp or None)
    return LogLine(stream, text)


async def json_stream(chunks: AsyncIterable[bytes]) -> AsyncIterator[Any]:
    """Each JSON document of a stream of concatenated documents."""
    decoder = json.JSONDecoder()
    # Incremental so that a character split between two chunks decodes whole.
    utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = ""
    async for chunk in chunks:
        text += utf8.decode(chunk)
        while True:
            text = text.lstrip()
            if not text:
                break
            try:
                document, end = decoder.raw_decode(text)
            except ValueError:
                break  # incomplete: wait for more bytes
            text = text[end:]
            yield document
    if text.strip():
        raise StreamFormatError(f"stream ended inside a JSON document: {text[:80]!r}")
