"""The model and sampling options every answering command takes: their Annotated types,
and ``ModelOptions``, the typed value a command receives (so all of them read the same way).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

__all__ = ["Approval", "BackendName", "BaseUrl", "Ctx", "GpuLayers", "MaxTokens", "ModelOptions",
           "ModelPath", "PromptLookupFlag", "RepeatPenalty", "RouteChoice", "RunLogFlag",
           "SandboxFlag",
           "SandboxPolicy", "Seed", "System", "Temperature", "Threads", "ToolFormatChoice",
           "TopK", "TopP", "Verbose"]


@dataclass(frozen=True)
class ModelOptions:
    """The shared options as the user gave them; None means "not on the command line"
    (the setting then comes from the environment, the config file or its default)."""

    model: Path | None = None
    system: str | None = None
    temperature: float | None = None
    top_k: int | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    repeat_penalty: float | None = None
    ctx: int | None = None
    threads: int | None = None
    n_gpu_layers: int | None = None
    backend: str | None = None
    base_url: str | None = None
    log: bool | None = None
    prompt_lookup: bool | None = None

    def as_flags(self) -> dict[str, Any]:
        """The options as settings given by flag (a model path as text, prompt lookup as
        the setting's "on" or "off")."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        if values["model"] is not None:
            values["model"] = str(values["model"])
        if values["prompt_lookup"] is not None:
            values["prompt_lookup"] = "on" if values["prompt_lookup"] else "off"
        return values

_S = "Sampling"
_M = "Model"

ModelPath = Annotated[
    Path | None,
    typer.Option("--model", "-m", help="GGUF model file (default: the bundled Qwen2.5-Coder-0.5B); "
                 "with --backend openai, the server's model name (default: the first it lists).",
                 rich_help_panel=_M, show_default=False),
]
Temperature = Annotated[
    float | None,
    typer.Option("--temperature", help="Sampling temperature; 0 means greedy.", rich_help_panel=_S,
                 show_default=False),
]
TopK = Annotated[int | None, typer.Option("--top-k", help="Top-k sampling (0: off).",
                                          rich_help_panel=_S, show_default=False)]
TopP = Annotated[float | None, typer.Option("--top-p", help="Nucleus sampling mass.",
                                            rich_help_panel=_S, show_default=False)]
MaxTokens = Annotated[int | None, typer.Option("--max-tokens", help="Most tokens to generate.",
                                               rich_help_panel=_S, show_default=False)]
Seed = Annotated[int | None, typer.Option("--seed", help="Random seed (-1: random).",
                                          rich_help_panel=_S, show_default=False)]
RepeatPenalty = Annotated[float | None, typer.Option("--repeat-penalty",
                                                     help="Penalty for repeated tokens (1: off).",
                                                     rich_help_panel=_S, show_default=False)]
Ctx = Annotated[int | None, typer.Option("--ctx", help="Context window in tokens.",
                                         rich_help_panel=_M, show_default=False)]
Threads = Annotated[int | None, typer.Option("--threads", help="CPU threads (default: all cores).",
                                             rich_help_panel=_M, show_default=False)]
GpuLayers = Annotated[
    int | None,
    typer.Option("--n-gpu-layers", help="Layers to offload to GPU (-1: all; needs a CUDA/Metal "
                 "build of llama-cpp-python).", rich_help_panel=_M, show_default=False),
]
BackendName = Annotated[
    str | None,
    typer.Option("--backend", help="Where the model runs: llama (in process) or openai (a server "
                 "speaking the OpenAI chat API, see --base-url).", rich_help_panel=_M,
                 show_default=False),
]
BaseUrl = Annotated[
    str | None,
    typer.Option("--base-url", help="OpenAI-compatible server for --backend openai, e.g. "
                 "http://127.0.0.1:8080/v1 (API key from LAMP_API_KEY or OPENAI_API_KEY).",
                 rich_help_panel=_M, show_default=False),
]
System = Annotated[str | None, typer.Option("--system", help="System prompt.", show_default=False)]
RunLogFlag = Annotated[bool | None, typer.Option(
    "--log/--no-log", help="Record this command's runs in the run log (`lamp logs`). "
    "[default: log setting, on]", show_default=False)]
PromptLookupFlag = Annotated[bool | None, typer.Option(
    "--prompt-lookup/--no-prompt-lookup", help="Draft the answer from its own prompt and "
    "check the drafts in batches: faster where the answer copies its input, but a greedy "
    "answer may change in late tokens. [default: prompt_lookup setting, off]",
    rich_help_panel=_S, show_default=False)]
Verbose = Annotated[bool, typer.Option("--verbose", "-v",
                                       help="Show llama.cpp logs and tracebacks on errors.")]

# The values of the agent options as closed choices: Typer checks them (exit 2, one line)
# and offers them to shell completion whether or not the option ends up used, without
# importing the agent into start-up. For library callers the sandbox and the step formats
# check theirs again; an approval other than "all" asks on the terminal.
SandboxPolicy = Literal["auto", "strict", "best"]
# --sandbox on every command that runs model-written code or starts MCP servers. None: the
# `sandbox` setting (config file, LAMP_SANDBOX), whose default is auto.
SandboxFlag = Annotated[SandboxPolicy | None, typer.Option(
    "--sandbox", help="How much isolation model-written code (python tool, PAL) and MCP "
    "servers need: auto = Landlock+seccomp (L1) or bubblewrap (L2), else refuse (exit 2); "
    "strict = L1, else refuse; best = whatever this machine has, rlimits alone included "
    "(warns). [default: sandbox setting, auto]", show_default=False)]
ToolFormatChoice = Literal["auto", "native", "react"]
RouteChoice = Literal["auto", "on", "off"]
Approval = Literal["ask", "all"]

SessionName = Annotated[str | None, typer.Option(
    "--session", "-s", help="Session to use (created if new).", rich_help_panel="Memory",
    show_default=False)]
Continue = Annotated[bool, typer.Option(
    "--continue", "-c", help="Continue the most recent session.", rich_help_panel="Memory")]
MemoryUrl = Annotated[str | None, typer.Option(
    "--memory-url", help="Chroma server for memory (default: the local store).",
    rich_help_panel="Memory", show_default=False)]
NoMemory = Annotated[bool, typer.Option(
    "--no-memory", help="Neither read nor write memory (deterministic scripting).",
    rich_help_panel="Memory")]
