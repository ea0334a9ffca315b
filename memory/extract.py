"""Text out of the files a user hands lamp: plain text, Markdown, source code, HTML, PDF.

One reader for both ``lamp memory ingest`` and ``lamp ask -f``, so a file means the
same words in both. Every failure (missing, a directory, undecodable bytes, a PDF
that will not open, a format we do not read) is a ``MemoryInputError``: one line,
exit 2, raised before any model or store is opened by callers that check first.

HTML is reduced to its visible text with the standard library's parser (scripts
and styles dropped, block elements kept as paragraph breaks); PDF pages go
through ``pypdf``, one paragraph break between pages.
"""

from __future__ import annotations

import glob
import html.parser
import os
from pathlib import Path

from .errors import MemoryInputError

__all__ = ["TEXT_SUFFIXES", "expand_paths", "read_document"]

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
PDF_SUFFIXES = frozenset({".pdf"})
TEXT_SUFFIXES = frozenset({
    ".txt", ".md", ".markdown", ".rst", ".adoc", ".org", ".tex", ".csv", ".tsv", ".json",
    ".jsonl", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".xml", ".log",
    ".py", ".pyi", ".js", ".mjs", ".ts", ".tsx", ".jsx", ".java", ".kt", ".c", ".h", ".cc",
    ".cpp", ".hpp", ".cs", ".go", ".rs", ".rb", ".php", ".swift", ".scala", ".sh", ".bash",
    ".zsh", ".fish", ".ps1", ".sql", ".r", ".lua", ".pl", ".hs", ".ml", ".ex", ".exs",
    ".dart", ".vue", ".svelte", ".css", ".scss", ".gql", ".proto", ".dockerfile", ".mk",
})
_NAMED_TEXT = frozenset({"Makefile", "Dockerfile", "README", "LICENSE", "CHANGELOG"})
_SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv", "venv",
                        ".tox", ".mypy_cache", ".ruff_cache", ".pytest_cache"})


def _supported(path: Path) -> bool:
    suffix = path.suffix.lower()
    return (suffix in TEXT_SUFFIXES or suffix in HTML_SUFFIXES or suffix in PDF_SUFFIXES
            or path.name in _NAMED_TEXT)


def expand_paths(specs: list[str] | list[Path], cwd: Path | None = None) -> list[Path]:
    """Files named by ``specs``: plain paths, globs (``docs/*.md``, ``**``) and
    directories (walked for supported files, hidden and tool folders skipped).
    Relative specs start at ``cwd`` (None: this process's working directory).

    A path that names nothing, a glob that matches nothing and a directory with no
    readable kind of file are each an error: silently asking without the file the
    user meant would give an answer that looks grounded and is not.
    """
    found: list[Path] = []
    for spec in map(str, specs):
        if glob.has_magic(spec):
            spec = os.path.expanduser(spec)
            base = cwd if cwd is not None and not os.path.isabs(spec) else None
            matches = sorted((base / p if base is not None else Path(p))
                             for p in glob.glob(spec, root_dir=base, recursive=True))
            files = [p for p in matches if p.is_file()]
            if not files:
                raise MemoryInputError(f"no files match {spec!r}")
            found.extend(files)
            continue
        path = Path(spec).expanduser()
        if cwd is not None:
            path = cwd / path
        if path.is_dir():
            files = sorted(
                p for p in path.rglob("*")
                if p.is_file() and _supported(p)
                and not any(part in _SKIP_DIRS or part.startswith(".")
                            for part in p.relative_to(path).parts)
            )
            if not files:
                raise MemoryInputError(f"no text, Markdown, code, HTML or PDF files in {spec}")
            found.extend(files)
        elif path.is_file():
            found.append(path)
        else:
            raise MemoryInputError(f"no such file: {spec}")
    unique: dict[Path, None] = {}
    for p in found:
        unique.setdefault(p, None)
    return list(unique)


class _VisibleText(html.parser.HTMLParser):
    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                         "section", "article", "pre", "blockquote", "table", "ul", "ol",
                         "header", "footer", "title"})
    _HIDDEN = frozenset({"script", "style", "noscript", "template", "svg"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _html_text(raw: str) -> str:
    parser = _VisibleText()
    parser.feed(raw)
    parser.close()
    paragraphs = (" ".join(p.split()) for p in "".join(parser.parts).split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)


def _pdf_text(path: Path) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:  # a dependency, but say so plainly if it is missing
        raise MemoryInputError(f"cannot read {path}: pypdf is not installed") from exc
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise MemoryInputError(f"cannot read {path}: the PDF is encrypted")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except MemoryInputError:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        raise MemoryInputError(f"cannot read {path}: not a readable PDF ({exc})") from exc
    return "\n\n".join(p for p in pages if p)


def read_document(path: Path) -> str:
    """The text of one file; ``MemoryInputError`` (one line, exit 2) when it has none."""
    path = Path(path)
    if path.is_dir():
        raise MemoryInputError(f"{path} is a directory")
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        text = _pdf_text(path)
    else:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise MemoryInputError(f"cannot read {path}: {exc.strerror or exc}") from exc
        if b"\x00" in raw[:8192]:
            raise MemoryInputError(f"cannot read {path}: a binary file, not text")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise MemoryInputError(f"cannot read {path}: not UTF-8 text ({exc.reason} "
                                   f"at byte {exc.start})") from exc
        if suffix in HTML_SUFFIXES:
            text = _html_text(text)
    if not text.strip():
        raise MemoryInputError(f"{path} has no text to read")
    return text
