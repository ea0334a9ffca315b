"""Turn a one-shot request (prompt, piped material, optional template) into a conversation.

Kept out of the CLI so scripts embedding lamp get the same prompt shapes as
`lamp ask`, and so the logic is tested without a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..conversation import Conversation, compose_user_message
from ..errors import InputError
from ..models import Backend, Message, Sampling
from ..structured.output import OutputSchema
from ..templates import PromptTemplate

__all__ = ["PreparedAsk", "prepare_ask"]


@dataclass
class PreparedAsk:
    conversation: Conversation
    user_text: str


def prepare_ask(
    backend: Backend,
    sampling: Sampling,
    *,
    prompt: str,
    material: str | None,
    system: str,
    template: PromptTemplate | None = None,
    system_from_user: bool = False,
    temperature_from_user: bool = False,
    truncate: bool = False,
    output: OutputSchema | None = None,
) -> PreparedAsk:
    """A template brings its own system prompt and temperature unless the user set them.

    ``output`` (``--schema``) adds its instructions after whichever system prompt applies,
    and decodes greedily unless the user or the template chose a temperature.
    """
    examples: list[Message] = []
    if template is not None:
        examples, user_text = template.render(prompt, material)
        if template.system and not system_from_user:
            system = template.system
        if template.temperature is not None and not temperature_from_user:
            sampling = replace(sampling, temperature=template.temperature)
    else:
        user_text = compose_user_message(prompt, material)
    if output is not None:
        system = f"{system}\n\n{output.instructions()}".strip()
        chosen = temperature_from_user or (template is not None
                                           and template.temperature is not None)
        sampling = output.sampling(sampling, temperature_chosen=chosen)
    if not user_text.strip():
        raise InputError("nothing to ask: the prompt is empty")
    conversation = Conversation(
        backend=backend, sampling=sampling, system=system, truncate=truncate, examples=examples
    )
    return PreparedAsk(conversation=conversation, user_text=user_text)
