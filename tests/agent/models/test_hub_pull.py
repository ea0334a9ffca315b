"""``lamp models pull hf:...`` against a real loopback Hub: HEAD/GET ``/resolve``, LFS
redirects to a "CDN" on another port, Range requests, cut connections, lying headers.

The fake Hub answers the way huggingface.co does for an LFS file: HEAD and GET on
``/{repo}/resolve/{revision}/{file}`` give ``302`` to a signed CDN URL, with
``X-Repo-Commit``, ``ETag`` (the git pointer's id), ``X-Linked-Etag`` (the quoted
SHA-256) and ``X-Linked-Size`` on the redirect itself; the CDN serves the bytes
and honours ``Range``. huggingface_hub does not follow a redirect to another
origin on HEAD (so the metadata must be on the 302) and stops sending the token
there. In "direct" mode the resolve URL serves the bytes itself, like a mirror.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from lamp.agent.errors import LampError, ModelError, ModelFileError, UsageError
from lamp.agent.models.hub import HubRef, PulledModel, parse_hub_ref, pull_from_hub
from lamp.cli.errors import exit_code_for

REPO = "lamp-test/tiny-model"
FILE = "quant/tiny-q4_k_m.gguf"
REF = f"hf:{REPO}/{FILE}"
COMMIT = hashlib.sha1(b"lamp test commit").hexdigest()
PAYLOAD = b"GGUF" + b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest()
                             for i in range(300 * 1024 // 32))
SHA256 = hashlib.sha256(PAYLOAD).hexdigest()
GIT_OID = hashlib.sha1(b"blob %d\0" % len(PAYLOAD) + PAYLOAD).hexdigest()
POINTER = b"version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n" % (
    SHA256.encode(), len(PAYLOAD))
POINTER_OID = hashlib.sha1(b"blob %d\0" % len(POINTER) + POINTER).hexdigest()


@dataclass
class FakeHub:
    """State shared by the Hub and CDN handlers; tests flip the switches."""

    lfs: bool = True  # send X-Linked-Etag / X-Linked-Size (an LFS file)
    redirect: bool = True  # LFS: resolve answers 302 to the CDN, like huggingface.co
    advertised_sha256: str = SHA256
    advertised_size: int = len(PAYLOAD)
    cut_first_get: bool = False  # first body GET: send half the bytes, then hang up
    fail_after_cut: bool = False  # body GETs after the cut answer 500
    revisions: tuple[str, ...] = ("main", "v1.0", COMMIT)
    requests: list[dict[str, str]] = field(default_factory=list)
    body_gets: int = 0
    url: str = ""
    cdn_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(hub: FakeHub, role: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, so a cut body is a closed socket.
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._answer(head=True)

        def do_GET(self) -> None:
            self._answer(head=False)

        def _answer(self, head: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            with hub.lock:
                hub.requests.append({"role": role, "method": self.command, "path": path,
                                     "range": self.headers.get("Range", ""),
                                     "auth": self.headers.get("Authorization", "")})
            if role == "cdn":  # a plain file server: bytes, no Hub headers
                if path.startswith("/lfs/") and path != f"/lfs/{SHA256}":
                    self._error(404, "")
                    return
                self._body(head)
                return
            match = re.fullmatch(r"/(.+?/.+?)/resolve/(.+?)/(.+)", path)
            if not match or match[1] != REPO:
                self._error(404, "RepoNotFound")
                return
            # A revision may hold slashes; the file is what is left after a known revision.
            rest = path[len(f"/{REPO}/resolve/"):]
            revision = next((r for r in hub.revisions if rest.startswith(r + "/")), None)
            if revision is None:
                self._error(404, "RevisionNotFound")
                return
            if rest[len(revision) + 1:] != FILE:
                self._error(404, "EntryNotFound")
                return
            if hub.lfs and hub.redirect:
                self.send_response(302)
                self._hub_headers()
                self.send_header("Location", f"{hub.cdn_url}/lfs/{SHA256}?X-Amz-Signature=x")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._body(head, hub_headers=True)

        def _hub_headers(self) -> None:
            self.send_header("X-Repo-Commit", COMMIT)
            if hub.lfs:
                self.send_header("ETag", f'"{POINTER_OID}"')
                self.send_header("X-Linked-Etag", f'"{hub.advertised_sha256}"')
                self.send_header("X-Linked-Size", str(hub.advertised_size))
            else:
                self.send_header("ETag", f'"{GIT_OID}"')

        def _error(self, status: int, code: str) -> None:
            self.send_response(status)
            if code:
                self.send_header("X-Error-Code", code)
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _body(self, head: bool, hub_headers: bool = False) -> None:
            start, status = 0, 200
            rng = self.headers.get("Range")
            if rng:
                m = re.fullmatch(r"bytes=(\d+)-", rng)
                assert m, f"unexpected Range {rng!r}"
                start, status = int(m[1]), 206
            part = PAYLOAD[start:]
            cut = fail = False
            if not head:
                with hub.lock:
                    hub.body_gets += 1
                    cut = hub.cut_first_get and hub.body_gets == 1
                    fail = hub.fail_after_cut and hub.cut_first_get and hub.body_gets > 1
            if fail:
                self._error(500, "")
                return
            self.send_response(status)
            if hub_headers:
                self._hub_headers()
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(part)))
            if status == 206:
                self.send_header("Content-Range",
                                 f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
            self.end_headers()
            if head:
                return
            if cut:
                self.wfile.write(part[: len(part) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(part)

    return Handler


@pytest.fixture
def hub(request: pytest.FixtureRequest) -> Iterator[FakeHub]:
    state = FakeHub()
    servers = []
    for role in ("hub", "cdn"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state, role))
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        servers.append((server, thread))
        url = f"http://127.0.0.1:{server.server_address[1]}"
        if role == "hub":
            state.url = url
        else:
            state.cdn_url = url

    def stop() -> None:
        for server, thread in servers:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    request.addfinalizer(stop)
    yield state


@pytest.fixture(autouse=True)
def _no_ambient_hub_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("HF_ENDPOINT", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(key, raising=False)


def _leftovers(models_dir: Path) -> list[str]:
    """Everything in the models dir except the pull lock file."""
    return sorted(str(p.relative_to(models_dir)) for p in models_dir.rglob("*")
                  if p.name != ".hf-pull.lock")


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert text and "\n" not in text, text
    return text


# --- references --------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("hf:o/r/f.gguf", HubRef("o/r", "f.gguf", "main")),
    ("hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf",
     HubRef("Qwen/Qwen2.5-0.5B-Instruct-GGUF", "qwen2.5-0.5b-instruct-q4_k_m.gguf")),
    ("hf:o/r/sub/dir/f.gguf", HubRef("o/r", "sub/dir/f.gguf")),
    ("hf:o/r/f.gguf@v1.0", HubRef("o/r", "f.gguf", "v1.0")),
    ("hf:o/r/f.gguf@refs/pr/3", HubRef("o/r", "f.gguf", "refs/pr/3")),
    (f"hf:o/r/f.gguf@{COMMIT}", HubRef("o/r", "f.gguf", COMMIT)),
    ("hf:o/r/a@b.gguf", HubRef("o/r", "a@b.gguf")),
])
def test_parse_accepts(text: str, expected: HubRef) -> None:
    ref = parse_hub_ref(text)
    assert ref == expected
    assert parse_hub_ref(ref.spec) == ref


@pytest.mark.parametrize("text", [
    "o/r/f.gguf", "hf:", "hf:o/f.gguf", "hf:o/r", "hf:o/r/f.bin", "hf:o/r/f.gguf.part",
    "hf:o//f.gguf", "hf:o/r//f.gguf", "hf:o/r/f.gguf/", "hf://o/r/f.gguf", "hf:o/r/.gguf",
    "hf:o/r/../f.gguf", "hf:o/r/sub/../../f.gguf", "hf:../r/f.gguf", "hf:o/r/./f.gguf",
    "hf:o/r/f.gguf@", "hf:o/r/f.gguf@a b", "hf:o/r/f.gguf@../x", "hf:o--x/r/f.gguf",
    "hf:o/r/a\\b.gguf", "HF:o/r/f.gguf",
])
def test_parse_rejects_with_usage_error(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_hub_ref(text)
    assert exit_code_for(info.value) == 2
    _one_line(info.value)


def test_local_name_is_a_safe_base_name() -> None:
    assert parse_hub_ref("hf:o/r/sub/Model Q4 (x).gguf").local_name == "Model_Q4__x_.gguf"
    assert parse_hub_ref("hf:o/r/.hidden.gguf").local_name == "hidden.gguf"


def test_importing_the_module_does_not_import_huggingface_hub() -> None:
    code = ("import sys, lamp.agent.models.hub; "
            "print('huggingface_hub' in sys.modules, 'httpx2' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.split() == ["False", "False"]


# --- pulls -------------------------------------------------------------------------------


@pytest.mark.parametrize("redirect", [True, False], ids=["lfs-redirect-to-cdn", "direct"])
def test_pull_writes_verified_file(hub: FakeHub, tmp_path: Path, redirect: bool) -> None:
    hub.redirect = redirect
    seen: list[tuple[int, int]] = []
    pulled = pull_from_hub(parse_hub_ref(REF), tmp_path, endpoint=hub.url,
                           progress=lambda done, total: seen.append((done, total)))
    target = tmp_path / "tiny-q4_k_m.gguf"
    assert pulled == PulledModel(name=REF, path=target, size=len(PAYLOAD), sha256=SHA256,
                                 url=f"{hub.url}/{REPO}/resolve/main/{FILE}",
                                 revision="main", commit=COMMIT)
    assert target.read_bytes() == PAYLOAD
    assert _leftovers(tmp_path) == ["tiny-q4_k_m.gguf"]  # the download cache is gone
    assert seen[0] == (0, len(PAYLOAD)) and seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert all(total == len(PAYLOAD) and 0 <= done <= total for done, total in seen)
    # Metadata from the requested revision, bytes pinned to the commit it resolved to.
    heads = [r["path"] for r in hub.requests if r["method"] == "HEAD"]
    assert heads[0] == f"/{REPO}/resolve/main/{FILE}"
    assert f"/{REPO}/resolve/{COMMIT}/{FILE}" in heads
    gets = [r for r in hub.requests if r["method"] == "GET"]
    assert [g["role"] for g in gets] == (["cdn"] if redirect else ["hub"])


def test_pull_accepts_a_string_ref_and_a_revision(hub: FakeHub, tmp_path: Path) -> None:
    pulled = pull_from_hub(f"{REF}@v1.0", tmp_path, endpoint=hub.url)
    assert pulled.name == f"{REF}@v1.0"
    assert pulled.revision == "v1.0" and pulled.commit == COMMIT
    assert pulled.url.endswith(f"/resolve/v1.0/{FILE}")
    assert pulled.path.read_bytes() == PAYLOAD


def test_hf_endpoint_from_environment_is_honoured(hub: FakeHub, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # huggingface_hub reads HF_ENDPOINT once at import; pull_from_hub reads it per call.
    monkeypatch.setenv("HF_ENDPOINT", hub.url + "/")
    pulled = pull_from_hub(REF, tmp_path)
    assert pulled.url.startswith(hub.url + "/")
    assert pulled.path.read_bytes() == PAYLOAD


def test_token_goes_to_the_hub_but_not_to_the_cdn(hub: FakeHub, tmp_path: Path) -> None:
    pull_from_hub(REF, tmp_path, endpoint=hub.url, token="hf_loopbacktoken")
    assert {r["auth"] for r in hub.requests if r["role"] == "hub"} == {"Bearer hf_loopbacktoken"}
    assert {r["auth"] for r in hub.requests if r["role"] == "cdn"} == {""}


def test_pulling_again_does_not_download_again(hub: FakeHub, tmp_path: Path) -> None:
    pull_from_hub(REF, tmp_path, endpoint=hub.url)
    hub.requests.clear()
    again = pull_from_hub(REF, tmp_path, endpoint=hub.url)
    assert again.path.read_bytes() == PAYLOAD and again.size == len(PAYLOAD)
    assert [r["method"] for r in hub.requests] == ["HEAD"]


def test_wrong_bytes_under_the_name_are_replaced(hub: FakeHub, tmp_path: Path) -> None:
    (tmp_path / "tiny-q4_k_m.gguf").write_bytes(b"GGUF" + b"\0" * len(PAYLOAD))
    pulled = pull_from_hub(REF, tmp_path, endpoint=hub.url)
    assert pulled.path.read_bytes() == PAYLOAD


# --- verification ------------------------------------------------------------------------


def test_lying_sha256_fails_and_leaves_nothing(hub: FakeHub, tmp_path: Path) -> None:
    hub.advertised_sha256 = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(ModelFileError) as info:
        pull_from_hub(REF, tmp_path, endpoint=hub.url)
    message = _one_line(info.value)
    assert "failed verification" in message and hub.advertised_sha256 in message
    assert _leftovers(tmp_path) == []


def test_lying_size_fails_and_leaves_nothing(hub: FakeHub, tmp_path: Path) -> None:
    hub.advertised_size = len(PAYLOAD) + 1000
    with pytest.raises(LampError) as info:
        pull_from_hub(REF, tmp_path, endpoint=hub.url)
    _one_line(info.value)
    assert _leftovers(tmp_path) == []


def test_non_lfs_file_needs_an_expected_sha256(hub: FakeHub, tmp_path: Path) -> None:
    hub.lfs = False  # git-stored: ETag is the git blob id, no X-Linked-Etag
    with pytest.raises(ModelFileError) as info:
        pull_from_hub(REF, tmp_path, endpoint=hub.url)
    assert "no SHA-256" in _one_line(info.value)
    assert not [r for r in hub.requests if r["method"] == "GET"]  # refused before downloading
    assert _leftovers(tmp_path) == []

    with pytest.raises(ModelFileError, match="failed verification"):
        pull_from_hub(REF, tmp_path, endpoint=hub.url, expected_sha256="0" * 64)
    assert _leftovers(tmp_path) == []

    pulled = pull_from_hub(REF, tmp_path, endpoint=hub.url, expected_sha256=SHA256.upper())
    assert pulled.sha256 == SHA256 and pulled.path.read_bytes() == PAYLOAD


def test_expected_sha256_must_agree_with_the_hub(hub: FakeHub, tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="not the expected"):
        pull_from_hub(REF, tmp_path, endpoint=hub.url, expected_sha256="1" * 64)
    with pytest.raises(UsageError, match="64 hex digits"):
        pull_from_hub(REF, tmp_path, endpoint=hub.url, expected_sha256="abc")
    assert not [r for r in hub.requests if r["method"] == "GET"]


# --- interrupted downloads ---------------------------------------------------------------


def test_cut_connection_resumes_with_range(hub: FakeHub, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    # huggingface_hub writes in 10 MiB chunks; smaller ones put part of this small file on
    # disk before the cut, so the retry must ask for the rest with Range.
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 16 * 1024)
    hub.cut_first_get = True
    seen: list[tuple[int, int]] = []
    pulled = pull_from_hub(REF, tmp_path, endpoint=hub.url,
                           progress=lambda done, total: seen.append((done, total)))
    assert pulled.path.read_bytes() == PAYLOAD and pulled.sha256 == SHA256
    gets = [r for r in hub.requests if r["method"] == "GET"]
    assert len(gets) == 2 and gets[0]["range"] == ""
    resumed_at = int(re.fullmatch(r"bytes=(\d+)-", gets[1]["range"])[1])  # type: ignore[index]
    assert 0 < resumed_at <= len(PAYLOAD) // 2
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert _leftovers(tmp_path) == ["tiny-q4_k_m.gguf"]


def test_interrupted_pull_fails_cleanly_and_a_rerun_completes(hub: FakeHub,
                                                              tmp_path: Path) -> None:
    hub.cut_first_get = True
    hub.fail_after_cut = True  # the in-run retry fails too: the pull gives up
    with pytest.raises(ModelError) as info:
        pull_from_hub(REF, tmp_path, endpoint=hub.url)
    assert exit_code_for(info.value) == 1
    _one_line(info.value)
    assert _leftovers(tmp_path) == []

    hub.fail_after_cut = False
    pulled = pull_from_hub(REF, tmp_path, endpoint=hub.url)
    assert pulled.path.read_bytes() == PAYLOAD
    assert hashlib.sha256(pulled.path.read_bytes()).hexdigest() == SHA256


# --- failures ----------------------------------------------------------------------------


def test_unreachable_endpoint_is_a_one_line_lamp_error(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ModelError) as info:
        pull_from_hub(REF, tmp_path / "models", endpoint=f"http://127.0.0.1:{port}")
    assert type(info.value) is ModelError and exit_code_for(info.value) == 1
    message = _one_line(info.value)
    assert "cannot reach the Hugging Face Hub" in message and str(port) in message
    assert info.value.__cause__ is not None  # the httpx error, for --verbose
    assert not (tmp_path / "models").exists()


@pytest.mark.parametrize(("ref", "words"), [
    (f"hf:{REPO}/quant/other.gguf", "no such file"),
    (f"hf:{REPO}/{FILE}@nope", "no such revision"),
    (f"hf:someone/else/{FILE}", "no such repo"),
])
def test_missing_things_on_the_hub_are_model_file_errors(hub: FakeHub, tmp_path: Path,
                                                         ref: str, words: str) -> None:
    with pytest.raises(ModelFileError) as info:
        pull_from_hub(ref, tmp_path, endpoint=hub.url)
    assert words in _one_line(info.value)
    assert _leftovers(tmp_path) == []


def test_a_server_that_is_not_a_hub_is_named(hub: FakeHub, tmp_path: Path) -> None:
    # The CDN answers files but sends no X-Repo-Commit: not a Hub endpoint.
    with pytest.raises(ModelError, match="X-Repo-Commit") as info:
        pull_from_hub(REF, tmp_path, endpoint=hub.cdn_url)
    _one_line(info.value)


# --- the CLI: lamp models pull / list / use, and --model with a pulled name ---------------


def test_cli_pull_records_the_model_for_list_use_and_resolve(
        hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from lamp.agent.models.model_store import resolve_model
    from lamp.cli.models import app

    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("LAMP_MODELS_DIR", str(tmp_path))
    runner = CliRunner()
    pulled = runner.invoke(app, ["pull", REF])
    assert pulled.exit_code == 0, pulled.output
    path = tmp_path / "tiny-q4_k_m.gguf"
    assert pulled.stdout.strip() == str(path) and path.read_bytes() == PAYLOAD
    listed = runner.invoke(app, ["list", "--json"])
    row = next(r for r in json.loads(listed.stdout) if r["name"] == REF)
    assert (row["kind"], row["sha256"], row["file"]) == ("pulled", SHA256, str(path))
    assert resolve_model(REF, tmp_path) == path
    used = runner.invoke(app, ["use", REF])
    assert used.exit_code == 0, used.output
    listed = json.loads(runner.invoke(app, ["list", "--json"]).stdout)
    assert [r["name"] for r in listed if r["default"]] == [REF]


def test_cli_pull_of_a_lying_hub_exits_2_with_one_line(
        hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hub.advertised_sha256 = "0" * 64
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("LAMP_MODELS_DIR", str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "lamp.cli", "models", "pull", REF],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("lamp: error:")
    assert "SHA-256" in proc.stderr and not (tmp_path / "tiny-q4_k_m.gguf").exists()
