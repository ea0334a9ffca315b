"""Pull a GGUF from the Hugging Face Hub: ``lamp models pull hf:OWNER/REPO/FILE.gguf[@REV]``.

Why this module exists: a model file is gigabytes that lamp will later load and
run, so "it downloaded" is not enough. We ask the Hub for the file's size and
SHA-256 first (for LFS files the Hub sends the SHA-256 as ``X-Linked-Etag``),
let ``huggingface_hub`` do the transfer (auth, CDN redirects, Xet, retries that
resume with ``Range`` after a dropped connection), then hash the result
ourselves and only move it into the models dir when size and hash match. A
failed or lying download never leaves a file that a later run could mistake
for the model.

What "resumable" means with huggingface_hub 2.x: within one run, a connection
cut mid-file is retried from where it stopped (HTTP ``Range``, up to five
times). huggingface_hub writes each download to a process-unique temporary
file that it deletes when the call fails, so a run that is killed starts over
when re-run; the re-run still completes and verifies.

Nothing here touches the network until ``pull_from_hub`` is called:
``huggingface_hub`` is imported inside it. ``HF_ENDPOINT`` is read at call time
(``huggingface_hub`` itself reads it only once, when first imported).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import ModelError, ModelFileError, UsageError
from .model_store import exclusive_lock, sha256_file

__all__ = ["HubRef", "PulledModel", "parse_hub_ref", "pull_from_hub"]

Progress = Callable[[int, int], None]  # (bytes done, bytes total)

PREFIX = "hf:"
DEFAULT_REVISION = "main"
_FORMAT = "expected hf:OWNER/REPO/FILE.gguf or hf:OWNER/REPO/FILE.gguf@REVISION"
# The Hub's own rule for namespace and repo names (huggingface_hub's validate_repo_id).
_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_COMMIT = re.compile(r"[0-9a-f]{40}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._+\-]")
_CACHE_DIR = ".hf-cache"
_LOCK_FILE = ".hf-pull.lock"


@dataclass(frozen=True)
class HubRef:
    """One file in one Hub model repo: ``repo_id`` is "OWNER/REPO", ``filename`` may
    hold subfolders ("Q4_K_M/model.gguf"), ``revision`` is a branch, tag or commit."""

    repo_id: str
    filename: str
    revision: str = DEFAULT_REVISION

    @property
    def spec(self) -> str:
        """The canonical ``hf:`` text; the revision is shown only when it is not "main"."""
        text = f"{PREFIX}{self.repo_id}/{self.filename}"
        return text if self.revision == DEFAULT_REVISION else f"{text}@{self.revision}"

    @property
    def local_name(self) -> str:
        """The file name the model gets in the models dir: the repo file's base name,
        reduced to characters that are safe on every filesystem."""
        name = _UNSAFE.sub("_", self.filename.rsplit("/", 1)[-1]).lstrip(".")
        return name if len(name) > len(".gguf") else f"model{name}"

    def __str__(self) -> str:
        return self.spec


@dataclass(frozen=True)
class PulledModel:
    """A verified model file in the models dir and where it came from."""

    name: str  # "hf:OWNER/REPO/FILE.gguf" (with "@REV" unless the revision is main)
    path: Path
    size: int
    sha256: str
    url: str  # the resolve URL at the requested revision
    revision: str  # as requested (branch, tag or commit)
    commit: str | None  # the commit the Hub resolved the revision to, when it said


def parse_hub_ref(text: str) -> HubRef:
    """``hf:OWNER/REPO/FILE.gguf[@REVISION]`` -> ``HubRef``; anything else is a UsageError."""
    def bad(why: str) -> UsageError:
        return UsageError(f"bad Hugging Face model reference {text!r}: {why} ({_FORMAT})")

    if not text.startswith(PREFIX):
        raise bad("it does not start with 'hf:'")
    body, revision = text[len(PREFIX):], DEFAULT_REVISION
    path, sep, rev = body.rpartition("@")
    if sep and path.lower().endswith(".gguf"):
        body, revision = path, rev
        if not revision:
            raise bad("the revision after '@' is empty")
        if any(c.isspace() for c in revision) or ".." in revision or revision.startswith("/"):
            raise bad(f"{revision!r} is not a branch, tag or commit")
    parts = body.split("/")
    if len(parts) < 3:
        raise bad("it needs an owner, a repo and a file")
    if any(not p for p in parts):
        raise bad("it has an empty path part")
    owner, repo, *file_parts = parts
    for name in (owner, repo):
        if not _NAME.fullmatch(name) or "--" in name or ".." in name:
            raise bad(f"{name!r} is not a valid Hub owner or repo name")
    for part in file_parts:
        if part in (".", "..") or "\\" in part or any(ord(c) < 32 for c in part):
            raise bad(f"{part!r} is not allowed in a file path")
    filename = "/".join(file_parts)
    base = file_parts[-1]
    if not base.lower().endswith(".gguf") or len(base) <= len(".gguf"):
        raise bad("the file must be a .gguf")
    return HubRef(repo_id=f"{owner}/{repo}", filename=filename, revision=revision)


def pull_from_hub(
    ref: HubRef | str,
    models_dir: Path,
    *,
    endpoint: str | None = None,
    progress: Progress | None = None,
    token: str | bool | None = None,
    expected_sha256: str | None = None,
) -> PulledModel:
    """Download ``ref`` into ``models_dir / ref.local_name``, verified, and return it.

    ``endpoint`` defaults to ``$HF_ENDPOINT``, else https://huggingface.co.
    ``token``: a string, or ``None`` for huggingface_hub's usual lookup
    (``HF_TOKEN``, the saved login). ``progress(done, total)`` is called as
    bytes arrive; without it the transfer is silent. ``expected_sha256`` is
    required when the Hub has no SHA-256 for the file (a non-LFS file) and, when
    given, must agree with the Hub's.

    Raises ``UsageError`` for a bad reference, ``ModelFileError`` (exit 2) when the
    Hub has no such file, refuses access, or the bytes fail verification, and
    ``ModelError`` (exit 1) when the Hub cannot be reached or the transfer fails.
    """
    if isinstance(ref, str):
        ref = parse_hub_ref(ref)
    if expected_sha256 is not None:
        expected_sha256 = expected_sha256.strip().lower()
        if not _SHA256.fullmatch(expected_sha256):
            raise UsageError(f"expected SHA-256 must be 64 hex digits, got {expected_sha256!r}")
    endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or "").rstrip("/") or None

    import huggingface_hub as hf  # lazily: it is heavy, and nothing runs until a pull

    with _hub_errors(ref.spec):
        url = hf.hf_hub_url(ref.repo_id, ref.filename, revision=ref.revision, endpoint=endpoint)
    where = f"{ref.spec} ({url})"
    with _hub_errors(where):
        meta = hf.get_hf_file_metadata(url, token=token, endpoint=endpoint)
    if meta.commit_hash is None:
        raise ModelError(f"{endpoint or url} does not answer like the Hugging Face Hub "
                         "(no X-Repo-Commit header); check HF_ENDPOINT and proxies")
    sha256 = _hub_sha256(meta.etag, expected_sha256, where)
    size = meta.size

    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / ref.local_name
    result = PulledModel(name=ref.spec, path=target, size=size or 0, sha256=sha256, url=url,
                         revision=ref.revision, commit=meta.commit_hash)
    with exclusive_lock(models_dir / _LOCK_FILE):
        if _already_there(target, size, sha256):
            have = target.stat().st_size
            _report(progress, have, have)
            return replace(result, size=have)
        _report(progress, 0, size or 0)
        cache_dir = models_dir / _CACHE_DIR
        try:
            with _hub_errors(where):
                pointer = hf.hf_hub_download(
                    ref.repo_id, ref.filename,
                    # Pin to the commit we took the hash from, so both describe the same bytes.
                    revision=meta.commit_hash if _COMMIT.fullmatch(meta.commit_hash)
                    else ref.revision,
                    cache_dir=cache_dir, endpoint=endpoint, token=token,
                    tqdm_class=_progress_bar(progress, size),  # type: ignore[arg-type]
                )
            blob = Path(os.path.realpath(str(pointer)))
            got_size = blob.stat().st_size
            if size is not None and got_size != size:
                raise ModelFileError(f"download of {ref.spec} failed verification: "
                                     f"{got_size:,} bytes, the Hub says {size:,}")
            got_sha = sha256_file(blob)
            if got_sha != sha256:
                raise ModelFileError(f"download of {ref.spec} failed verification: "
                                     f"SHA-256 {got_sha} != {sha256}")
            _place(blob, target)
        except OSError as exc:  # disk full, permissions: not the Hub's fault
            raise ModelError(f"cannot store {ref.spec} in {models_dir}: {_line(exc)}") from exc
        finally:
            shutil.rmtree(cache_dir, ignore_errors=True)
    _report(progress, got_size, got_size)
    return replace(result, size=got_size)


def _hub_sha256(etag: str | None, expected: str | None, where: str) -> str:
    hub = (etag or "").lower()
    if _SHA256.fullmatch(hub):  # an LFS file: the linked etag is the content's SHA-256
        if expected is not None and expected != hub:
            raise ModelFileError(f"{where}: the Hub's SHA-256 {hub} is not the expected {expected}")
        return hub
    if expected is not None:
        return expected
    raise ModelFileError(f"{where}: the Hub gives no SHA-256 for this file (not stored with LFS); "
                         "pass the expected SHA-256 to pull it")


def _already_there(target: Path, size: int | None, sha256: str) -> bool:
    """True when the target already holds exactly these bytes: pull twice, download once."""
    try:
        if not target.is_file() or (size is not None and target.stat().st_size != size):
            return False
        return sha256_file(target) == sha256
    except OSError:
        return False


def _place(src: Path, target: Path) -> None:
    """Move the verified file into place atomically; across filesystems, copy to a
    temporary name beside the target first, so the target is never half-written."""
    try:
        os.replace(src, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    tmp = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def _progress_bar(progress: Progress | None, size: int | None) -> type:
    """A stand-in for tqdm that huggingface_hub drives (plain and Xet downloads alike)
    and that forwards byte counts to ``progress`` instead of drawing anything."""

    class _Bar:
        def __init__(self, *args: Any, total: float | None = None, initial: float = 0,
                     **kwargs: Any) -> None:
            self.total = int(total) if total is not None else (size or 0)
            self.n = int(initial)
            self._emit()

        def __enter__(self) -> _Bar:
            return self

        def __exit__(self, *exc: object) -> None:
            self.close()

        def update(self, n: float | None = 1) -> None:
            # huggingface_hub steps back (negative n) when a server ignores Range.
            self.n = max(0, self.n + int(n or 0))
            self._emit()

        def update_transfer(self, n: float | None = 1) -> None:
            """Network bytes (Xet); we report bytes written to the file instead."""

        def set_postfix_str(self, *args: Any, **kwargs: Any) -> None:
            """Speed text for a drawn bar; nothing to draw."""

        def set_transfer_postfix_str(self, *args: Any, **kwargs: Any) -> None:
            """Speed text for a drawn bar; nothing to draw."""

        def refresh(self, *args: Any, **kwargs: Any) -> None:
            """Nothing to redraw."""

        def close(self) -> None:
            """Nothing to release."""

        def _emit(self) -> None:
            total = max(self.total, size or 0)
            _report(progress, min(self.n, total) if total else self.n, total)

    return _Bar


@contextlib.contextmanager
def _hub_errors(where: str) -> Iterator[None]:
    """Turn huggingface_hub's and its HTTP client's exceptions into one-line lamp errors."""
    from huggingface_hub import errors as hf_errors

    transport: tuple[type[Exception], ...] = ()
    with contextlib.suppress(ImportError):  # huggingface_hub 2.x speaks HTTP through httpx2
        import httpx2

        transport = (httpx2.HTTPError, httpx2.InvalidURL, httpx2.StreamError)
    try:
        yield
    except hf_errors.GatedRepoError as exc:
        raise ModelFileError(f"cannot pull {where}: the repo is gated; accept its terms on "
                             "the Hub, then log in or set HF_TOKEN") from exc
    except hf_errors.RepositoryNotFoundError as exc:
        raise ModelFileError(f"cannot pull {where}: no such repo, or it is private "
                             "(log in or set HF_TOKEN)") from exc
    except hf_errors.RevisionNotFoundError as exc:
        raise ModelFileError(f"cannot pull {where}: no such revision") from exc
    except hf_errors.RemoteEntryNotFoundError as exc:
        raise ModelFileError(f"cannot pull {where}: no such file in the repo") from exc
    except hf_errors.HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "error"
        if status in (401, 403):
            raise ModelFileError(f"cannot pull {where}: access refused (HTTP {status}); "
                                 "log in or set HF_TOKEN") from exc
        raise ModelError(f"cannot pull {where}: the Hub answered HTTP {status}") from exc
    except hf_errors.OfflineModeIsEnabled as exc:
        raise ModelError(f"cannot pull {where}: HF_HUB_OFFLINE is set") from exc
    except hf_errors.HFValidationError as exc:
        raise UsageError(f"cannot pull {where}: {_line(exc)}") from exc
    except (OSError, ValueError) as exc:
        # LocalEntryNotFoundError, "Consistency check failed", a full disk, ...
        raise ModelError(f"cannot pull {where}: {_line(exc)}") from exc
    except transport as exc:
        raise ModelError(f"cannot reach the Hugging Face Hub for {where}: {_line(exc)}") from exc


def _line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__
