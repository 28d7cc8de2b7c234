"""The system prompt of a chat turn: the twin's active version (its cached compiled form) or, when
it has none or it does not compile, its legacy persona; rendered by `personas.prompting`, the one
renderer the admin preview, the API preview and evaluation runs use too. The trace says which, and why.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError

from personas.intents import classify
from personas.prompting import FALLBACK_NO_ACTIVE_SPEC, SystemPrompt, render_system_prompt
from personas.selectors import active_compiled_persona
from personas.spec import SpecValidationError

logger = logging.getLogger(__name__)


def build_system_prompt(twin, user_message: str, interaction_context: str) -> tuple[str, dict]:
    """(prompt text, trace) for one turn; see `assemble_system_prompt`."""
    prompt = assemble_system_prompt(twin, user_message, interaction_context)
    return prompt.text, prompt.trace


def assemble_system_prompt(twin, user_message: str, interaction_context: str) -> SystemPrompt:
    intent = classify(user_message)
    pointer, persona, reason = None, None, FALLBACK_NO_ACTIVE_SPEC
    try:
        pointer, persona = active_compiled_persona(twin.pk)
    except SpecValidationError as exc:
        reason = f"active persona spec does not compile: {exc}"
        logger.warning("twin %s falls back to its legacy persona: %s", twin.pk, reason)
    except DatabaseError:
        raise  # an outage is a 503, not a persona problem
    except Exception as exc:  # a compiler bug must cost the persona, never the reply
        logger.exception("compiling the active persona spec of twin %s failed", twin.pk)
        reason = f"active persona spec failed to compile ({exc.__class__.__name__})"
    return render_system_prompt(
        twin=twin, persona=persona, version=pointer.version if persona is not None else None,
        intent_label=intent.label, message=user_message, interaction_context=interaction_context,
        fallback_reason=None if persona is not None else reason, intent=intent,
    )
