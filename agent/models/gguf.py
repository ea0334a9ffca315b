"""A small GGUF header reader: enough to describe a model and to explain a bad file.

llama.cpp only says "failed to load model" for a wrong or truncated file; users
deserve to know which. We read the header ourselves (magic, metadata, tensor
table) and compare the file size with where the last tensor's data must end.
Only the header is read, so this stays cheap even for large models.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ModelFileError

__all__ = ["GGUFInfo", "check_magic", "read_gguf"]

MAGIC = b"GGUF"

# ggml type id -> (elements per block, bytes per block); enough to size tensors.
_TYPE_SIZES: dict[int, tuple[int, int]] = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24),
    8: (32, 34), 9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144),
    13: (256, 176), 14: (256, 210), 15: (256, 292), 16: (256, 66), 17: (256, 74),
    18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82),
    23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8),
    29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66), 39: (32, 17),
}
# GGUF metadata value types: fixed-size scalars by struct format.
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
            10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9


@dataclass
class GGUFInfo:
    path: Path
    size: int
    version: int
    metadata: dict[str, Any] = field(default_factory=dict)
    tensor_count: int = 0
    expected_size: int | None = None  # None when a tensor type is unknown to us

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", "unknown"))

    @property
    def context_length(self) -> int | None:
        value = self.metadata.get(f"{self.architecture}.context_length")
        return int(value) if value is not None else None

    @property
    def has_chat_template(self) -> bool:
        return bool(self.metadata.get("tokenizer.chat_template"))

    @property
    def name(self) -> str:
        return str(self.metadata.get("general.name", self.path.stem))

    @property
    def truncated(self) -> bool:
        return self.expected_size is not None and self.size < self.expected_size


class _Reader:
    def __init__(self, buf: mmap.mmap, path: Path) -> None:
        self.buf, self.pos, self.path = buf, 0, path

    def take(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.buf):
            raise ModelFileError(f"{self.path}: GGUF header is cut short (file truncated?)")
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return value

    def string(self, keep: bool = True) -> str | None:
        length = self.take("<Q")
        if self.pos + length > len(self.buf):
            raise ModelFileError(f"{self.path}: GGUF header is cut short (file truncated?)")
        start, self.pos = self.pos, self.pos + length
        if not keep:
            return None
        return bytes(self.buf[start:self.pos]).decode("utf-8", errors="replace")

    def value(self, vtype: int, keep: bool) -> Any:
        if vtype in _SCALARS:
            return self.take(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string(keep)
        if vtype == _ARRAY:
            item_type, count = self.take("<I"), self.take("<Q")
            if item_type in _SCALARS:  # skip fixed-size arrays in one jump
                size = struct.calcsize(_SCALARS[item_type]) * count
                self.pos += size
                return f"<array of {count}>"
            for _ in range(count):
                self.value(item_type, keep=False)
            return f"<array of {count}>"
        raise ModelFileError(f"{self.path}: unknown GGUF value type {vtype} (corrupt file?)")


def check_magic(path: Path) -> None:
    """Fail fast, with a clear message, when ``path`` is missing or not GGUF at all."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
    except FileNotFoundError:
        raise ModelFileError(f"model file not found: {path}") from None
    except IsADirectoryError:
        raise ModelFileError(f"model path is a directory, not a GGUF file: {path}") from None
    except OSError as exc:
        raise ModelFileError(f"cannot read model file {path}: {exc.strerror}") from exc
    if head != MAGIC:
        raise ModelFileError(f"not a GGUF model file: {path}")


def read_gguf(path: Path) -> GGUFInfo:
    """Parse the header and tensor table; raise ModelFileError for bad or cut files."""
    check_magic(path)
    with path.open("rb") as fh:
        size = path.stat().st_size
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            r = _Reader(buf, path)
            r.take("<4s")
            version = r.take("<I")
            if version not in (2, 3):
                raise ModelFileError(f"{path}: unsupported GGUF version {version}")
            n_tensors, n_kv = r.take("<Q"), r.take("<Q")
            info = GGUFInfo(path=path, size=size, version=version, tensor_count=n_tensors)
            for _ in range(n_kv):
                key = r.string()
                vtype = r.take("<I")
                info.metadata[str(key)] = r.value(vtype, keep=True)
            data_end, known = 0, True
            for _ in range(n_tensors):
                r.string(keep=False)
                n_dims = r.take("<I")
                elements = 1
                for _ in range(n_dims):
                    elements *= r.take("<Q")
                ttype, offset = r.take("<I"), r.take("<Q")
                if ttype not in _TYPE_SIZES:
                    known = False
                    continue
                block, nbytes = _TYPE_SIZES[ttype]
                data_end = max(data_end, offset + elements // block * nbytes)
            align = int(info.metadata.get("general.alignment", 32))
            data_start = (r.pos + align - 1) // align * align
            info.expected_size = data_start + data_end if known else None
    return info
