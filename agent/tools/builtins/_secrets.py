"""Which paths may hold secrets, so the file tools ask before handing them to the model.

A document or a tool result can tell the model to read ``.env`` or
``~/.ssh/id_rsa``; whatever the file tools return goes to the model (possibly a
remote server) and into the answer. So a path is *sensitive* when any part of it
names a secret, judged on every spelling at once: the path as the model gave it,
normalised (``sub/../.env``), and the real path after symlinks. Below the
working directory any dotfile or dot-directory counts (``.env``, ``.git/config``
with a token in a remote URL, ``.venv``: lamp cannot tell which are harmless), and
so does any name of a key or credential file or folder (``*.pem``, ``id_rsa*``,
``credentials*``). Above it, folders of secrets count (a working directory inside
``~/.ssh`` makes every file in it sensitive), and so does any dot-folder of the
home directory (``~/.config/gh/hosts.yml``).
Names are compared case-folded: on a case-insensitive file system ``ID_RSA`` is
``id_rsa``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import pwd
from pathlib import Path, PurePath

__all__ = ["home_dirs", "is_secret_name", "secret_reasons"]

# Folders whose whole content is keys, tokens or credentials.
SECRET_DIRS = frozenset({
    ".ssh", ".aws", ".gnupg", ".kube", ".docker", ".azure", ".password-store",
    ".terraform.d", ".vault", ".pki", ".cert", ".certs", ".config", ".local", ".mozilla",
    ".thunderbird", "keyrings", "gcloud", ".gcloud", ".oci", ".m2", ".gradle", ".cargo",
    ".git",
})
# File names (shell patterns, compared case-folded) of keys and credentials. Broad on
# purpose: a name wrongly here costs one question; a name missing can cost a key.
SECRET_FILES = (
    ".env", ".env.*", "*.env", ".envrc", ".netrc", "_netrc", ".pgpass", ".git-credentials",
    ".npmrc", ".yarnrc", ".yarnrc.yml", ".pypirc", ".gem", ".boto", ".s3cfg", ".vault-token",
    ".htpasswd", "htpasswd", ".my.cnf", ".dockercfg", "kubeconfig", "*.kubeconfig",
    "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.kdbx", "*.ppk", "*.gpg",
    "*.pgp", "*.asc", "*.ovpn", "*.tfstate", "*.tfstate.*", "*.tfvars", "id_rsa*", "id_dsa*",
    "id_ecdsa*", "id_ed25519*", "id_xmss*", "identity", "*_rsa", "*_dsa", "*_ed25519",
    "*_ecdsa", "authorized_keys*", "known_hosts*", "*credential*", "*secret*", "token",
    "token.*", "*.token", "*_token", "*-token", "access_token*", "auth.json", "password*",
    "*.password", "*passwd*", "shadow", "gshadow", "shadow-", "master.key", "wallet.dat",
    "service-account*.json", "cookies", "cookies.sqlite", "cookies.txt", "login data*",
    "*.keychain*", "keychain*", "logins.json", "key3.db", "key4.db", "*.keytab", "krb5cc*",
    "*private_key*", "*privatekey*", "environ",
)
# Real paths under these hold other processes' environments and memory (API keys in
# /proc/PID/environ when lamp is started in /).
_SYSTEM_SECRETS = (PurePath("/proc"),)


def home_dirs() -> tuple[Path, ...]:
    """The user's home folder: from $HOME and from the password database (they may
    differ, e.g. under sudo); real paths, symlinks resolved."""
    homes: list[Path] = []
    candidates = [os.environ.get("HOME", "")]
    with contextlib.suppress(KeyError):  # a uid with no entry: $HOME is all there is
        candidates.append(pwd.getpwuid(os.getuid()).pw_dir)
    for raw in candidates:
        if raw and raw != "/":
            home = Path(raw).resolve()
            if home not in homes:
                homes.append(home)
    return tuple(homes)


def is_secret_name(name: str) -> bool:
    """Whether a file or folder called ``name`` is named like a key, a credential or a
    folder of them (``.docker/config.json`` is one through its folder)."""
    folded = name.casefold()
    if folded in SECRET_DIRS:
        return True
    return any(fnmatch.fnmatchcase(folded, pattern) for pattern in SECRET_FILES)


def secret_reasons(root: Path, given: str, target: Path) -> tuple[str, ...]:
    """Why reading (or listing) ``target`` may hand a secret to the model; () when
    nothing says so. ``root`` is the real working directory, ``given`` the path as
    the model spelled it, ``target`` its real path (symlinks resolved)."""
    lexical = PurePath(os.path.normpath(root / given))
    spellings = [lexical, target]
    shown = given if lexical == target else f"{given} (really {target})"
    for system in _SYSTEM_SECRETS:
        if any(spelling.is_relative_to(system) for spelling in spellings):
            return (f"{shown} may hold secrets: it is under {system}, where processes keep "
                    "their environment",)
    named = _named_parts(spellings, root)
    if named:
        return (f"{shown} may hold secrets: {named!r} is named like a key, credential or "
                "dotfile",)
    for home in home_dirs():
        for spelling in spellings:
            if spelling.is_relative_to(home) and spelling != home:
                part = spelling.relative_to(home).parts[0]
                if part.startswith("."):
                    return (f"{shown} may hold secrets: it is inside ~/{part}",)
    return ()


def _named_parts(spellings: list[PurePath], root: Path) -> str | None:
    """The first part of any spelling that names a secret. Below the working directory:
    a dot-name, or a key or credential name. The working directory's own path counts
    only through folders of secrets (``.ssh``): a project called ``secret-sauce`` is
    where the user chose to work, not a secret."""
    for spelling in spellings:
        if spelling.is_relative_to(root):
            above, inside = root.parts, spelling.relative_to(root).parts
        else:
            above, inside = (), spelling.parts
        for part in inside:
            if (part.startswith(".") and part not in {".", ".."}) or is_secret_name(part):
                return part
        for part in above:
            if part.casefold() in SECRET_DIRS:
                return part
    return None
