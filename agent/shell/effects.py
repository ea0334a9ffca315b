"""Whether one command changes files, and whether a request only asks to look at them.

A request that says *print* or *show* has a read-only answer: ``sed 's/a/b/' f``,
not ``sed -i 's/a/b/' f``. A small model mixes the two up (it knows ``sed -i``
as "the" way to replace text), and the person reading the proposal sees a
familiar ``sed`` and runs it. So when the request only asks to read and the
command would change files, the risk rules say so, like any other warning
(``agent/shell/risk.py`` adds the rule; this module supplies both halves).

The request side is read from its words, in English and Korean: the verb that
leads an English request (after "please", "can you" ...) or ends a Korean one
must be one that reads (show, print, list, count / 보여, 출력, 세, 알려 ...),
and no word that asks for a change may appear anywhere (delete, save, move ...
/ 삭제, 저장, 옮겨 ...). Words for transforming text on its way out (replace,
convert / 바꿔서) do not count as a change when the leading verb reads: "print
config.ini with foo replaced by bar" still asks only to print. When unsure, the
request is not read-only, and nothing extra is flagged.
"""

from __future__ import annotations

import re

from .words import Field

__all__ = ["asks_only_to_read", "file_change"]

_READ_VERBS = frozenset({
    "show", "print", "list", "display", "count", "find", "search", "grep", "tell", "what",
    "which", "how", "where", "who", "when", "check", "view", "see", "output", "cat", "compute",
    "calculate", "sum", "report", "look", "locate", "preview", "peek", "give", "return",
    "is", "are", "does", "do", "echo", "read", "get", "measure", "compare", "diff",
})
_POLITE = frozenset({"please", "pls", "can", "could", "would", "will", "you", "me", "i",
                     "want", "to", "need", "just", "quickly", "kindly", "help", "lamp", "now",
                     "let's", "lets", "us"})
_CHANGE_WORDS = re.compile(
    r"\b(?:delete|deleting|remove|removing|rm|erase|wipe|rename|move|moving|mv|copy|cp|"
    r"create|make|mkdir|write|writing|save|saving|store|overwrite|edit|editing|modify|"
    r"install|uninstall|kill|compress|extract|unzip|unpack|commit|push|chmod|chown|"
    r"append|touch|truncate|download|upload|restart|sort\s+in\s+place|in[- ]place|"
    r"into\s+(?:a\s+)?(?:new\s+)?file|to\s+(?:a\s+)?(?:new\s+)?file)\b",
    re.IGNORECASE)
_KO_READ_END = re.compile(
    r"(?:보여|출력|알려|세어|세|찾아|확인|표시|나열|검색|계산|말해|읽어|비교|보고|봐|보자|보기|"
    r"몇\s*개|얼마|뭐|무엇|어디|있어|있나|인가|인지|목록|개수|크기|합계)"
    r"[가-힣\s?!.]*$")
_KO_CHANGE = re.compile(
    r"삭제|지워|지우|제거|없애|이동|옮기|옮겨|복사|만들|생성|저장|수정|편집|압축|풀어|해제|설치|"
    r"종료|죽여|커밋|푸시|추가|덮어|붙여|고쳐|변경|권한|업데이트|다운로드|업로드|정리|비워|"
    r"이름을\s*바꿔|이름\s*변경|(?:바꿔|바꾸|치환)(?!\s*(?:서|어서|해서|한|된))")
_HANGUL = re.compile(r"[가-힣]")


def asks_only_to_read(request: str) -> bool:
    """Whether ``request`` asks only to see something (True) rather than to change files."""
    text = " ".join(request.split())
    if not text:
        return False
    if _HANGUL.search(text):
        return bool(_KO_READ_END.search(text.rstrip(" .?!"))) and not _KO_CHANGE.search(text)
    if _CHANGE_WORDS.search(text):
        return False
    words = re.findall(r"[a-z']+", text.lower())
    lead = next((w for w in words if w not in _POLITE), "")
    return lead in _READ_VERBS


# Programs that change files by what they are; None: only with the options checked below.
_CHANGERS = frozenset({
    "rm", "rmdir", "unlink", "shred", "mv", "cp", "mkdir", "touch", "chmod", "chown",
    "chgrp", "ln", "truncate", "install", "rename", "patch", "dd", "tee", "srm", "wipe",
    "trash", "trash-put", "setfacl", "chattr", "split", "csplit", "mkfifo", "mknod",
})
_GIT_CHANGES = frozenset({
    "add", "commit", "checkout", "switch", "restore", "reset", "rm", "mv", "stash", "merge",
    "rebase", "pull", "push", "clean", "cherry-pick", "revert", "am", "apply", "init",
    "clone", "fetch", "tag", "branch", "gc", "prune", "worktree", "submodule",
})
_COMPRESSORS = frozenset({"gzip", "gunzip", "bzip2", "bunzip2", "xz", "unxz", "zstd",
                          "unzstd", "lzma", "unlzma", "compress", "uncompress"})


def _git_lists(sub: str, rest: list[str], options: list[str]) -> bool:
    """Whether a git subcommand that can change things only lists here (``git branch``,
    ``git tag -l``, ``git stash list``, ``git worktree list``)."""
    if sub in ("branch", "tag"):
        changing = {"-d", "-D", "-m", "-M", "-c", "-C", "-f", "--delete", "--move", "--copy",
                    "--force", "-a" if sub == "tag" else "", "-s", "-u", "--set-upstream-to",
                    "--unset-upstream", "--edit-description"}
        listing = {"-l", "--list", "--show-current", "--contains", "--merged", "--no-merged"}
        return (not rest or bool(listing & set(options))) and not (changing & set(options))
    if sub in ("stash", "worktree", "submodule"):
        return bool(rest) and rest[0] in ("list", "show", "status", "summary")
    return False


def file_change(name: str, args: list[Field]) -> str | None:
    """How command ``name`` with ``args`` changes files (a few words for the warning), or
    None when it only reads (as far as its name and options tell)."""
    texts = [a.text for a in args]
    options = [t for t in texts if t.startswith("-") and t != "-"]
    short = "".join(t[1:] for t in options if not t.startswith("--"))
    if name in ("sed", "gsed", "perl", "ruby") and (
            "i" in short or any(t.startswith("--in-place") for t in options)):
        return f"edits files in place ({name} -i)"
    if name in _CHANGERS:
        if name == "tee" and not [t for t in texts if not t.startswith("-")]:
            return None
        if name == "dd" and not any(t.startswith("of=") for t in texts):
            return None
        return f"changes files ({name})"
    if name == "git":
        words = [t for t in texts if not t.startswith("-")]
        sub, rest = (words[0], words[1:]) if words else ("", [])
        if sub not in _GIT_CHANGES or _git_lists(sub, rest, options):
            return None
        return f"changes the repository (git {sub})"
    if name == "tar":
        mode = (texts[0].lstrip("-") if texts else "") + short
        return "writes or unpacks an archive (tar)" if set(mode) & set("cxruA") or any(
            t in ("--create", "--extract", "--get", "--append", "--update") for t in options
        ) else None
    if name in ("zip", "7z", "7za", "rar"):
        return None if name != "zip" and texts[:1] in (["l"], ["t"]) else \
            f"writes an archive ({name})"
    if name == "unzip":
        return None if set(short) & set("lptvZ") else "unpacks an archive (unzip)"
    if name in _COMPRESSORS:
        return None if set(short) & set("cltk") else f"replaces files with their " \
            f"(de)compressed form ({name})"
    if name == "sort" and ("o" in short or any(t.startswith("--output") for t in options)):
        return "writes the sorted result to a file (sort -o)"
    if name == "find" and any(t in ("-delete", "-fprint", "-fprintf", "-fls") for t in texts):
        return "deletes or writes files (find)"
    return None
