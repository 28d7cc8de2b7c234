"""Provider for any endpoint that speaks the OpenAI chat-completions API.

OpenAI itself, vLLM, Ollama, llama.cpp server and LiteLLM proxies all accept the same request, so
one provider built on the official `openai` client covers them; only base_url, api_key and model
differ.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import openai

from .base import Completion, CompletionRequest, LLMConfig, LLMError

logger = logging.getLogger(__name__)

# The client's own default; passed explicitly so that OPENAI_BASE_URL in the environment cannot
# silently redirect traffic that the project's settings did not ask for.
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"
# Local servers (Ollama, llama.cpp, vLLM without --api-key) ignore the key, but the client refuses
# to start without one.
PLACEHOLDER_API_KEY = "not-needed"

# Short, because a person is waiting on the reply. A Retry-After up to the cap is honoured (waiting
# that long still beats failing); a longer one means the retry would fail too, so none is made.
RETRY_DELAY_S = 0.25
MAX_RETRY_AFTER_S = 2.0

_UNREADABLE_RESPONSE = "The language model endpoint sent a response that could not be read."
_FAILED_MID_STREAM = "The language model endpoint stopped before the reply was complete."


class OpenAICompatibleProvider:
    name = "openai"

    def __init__(self, config: LLMConfig) -> None:
        self.model = config.model or DEFAULT_MODEL
        self.base_url = config.base_url or DEFAULT_BASE_URL
        self.timeout_s = config.timeout_s
        self.max_retries = config.max_retries
        self._endpoint_label = _origin(self.base_url)
        # One client per provider: it owns the HTTP connection pool, which is safe to share across
        # threads. The client's built-in retries are off so that complete() alone decides what is
        # retried, how often and after which delay.
        self._client = openai.OpenAI(
            base_url=self.base_url,
            api_key=config.api_key or PLACEHOLDER_API_KEY,
            timeout=self.timeout_s,
            max_retries=0,
        )

    def complete(self, request: CompletionRequest) -> Completion:
        messages = _messages(request)

        # Latency covers retries: it is what the person waited for.
        started = time.perf_counter()
        response = self._create_with_retry(messages)
        latency_ms = round((time.perf_counter() - started) * 1000)

        text, served_model = _reply_text_and_model(response)
        if not text:
            raise LLMError(
                "The language model endpoint returned no reply text.", kind="bad_response"
            )
        # The served model can be more precise than the requested alias (gpt-4o-mini-2024-07-18);
        # the trace should record what actually answered.
        return Completion(
            text=text, provider=self.name, model=served_model or self.model, latency_ms=latency_ms
        )

    def stream(self, request: CompletionRequest) -> Iterator[str | Completion]:
        """The reply's deltas as the endpoint sends them (`stream=True`), then the Completion.

        Failures before the first chunk are retried like complete()'s; once text has gone out, a
        failure is final (a retry would answer differently). A stream that stops without a
        finish_reason is an error too: the reply is cut short, and must not be stored as complete.
        """
        started = time.perf_counter()
        chunks = self._create_with_retry(_messages(request), stream=True)
        pieces: list[str] = []
        served_model, finished = None, False
        try:
            for chunk in chunks:
                served_model = served_model or getattr(chunk, "model", None)
                for choice in getattr(chunk, "choices", None) or ():  # the usage chunk has none
                    text = getattr(choice.delta, "content", None) if choice.delta else None
                    if text:
                        pieces.append(text)
                        yield text
                    finished = finished or bool(choice.finish_reason)
        except json.JSONDecodeError as error:
            raise LLMError(_UNREADABLE_RESPONSE, kind="bad_response") from error
        except (openai.APIConnectionError, openai.APIStatusError) as error:
            raise self._to_llm_error(error, attempts=1) from error
        except openai.OpenAIError as error:  # an error event in the stream
            raise LLMError(_FAILED_MID_STREAM, kind="bad_response") from error
        except (AttributeError, TypeError) as error:  # a chunk of an unexpected shape
            raise LLMError(_UNREADABLE_RESPONSE, kind="bad_response") from error
        finally:
            # Also on GeneratorExit, when the person stopped reading: the endpoint stops generating.
            chunks.close()
        if not finished:
            raise LLMError(_FAILED_MID_STREAM, kind="bad_response")
        if not pieces:
            raise LLMError("The language model endpoint returned no reply text.", kind="bad_response")
        latency_ms = round((time.perf_counter() - started) * 1000)
        yield Completion(text="".join(pieces), provider=self.name, model=served_model or self.model,
                         latency_ms=latency_ms)

    def _create_with_retry(self, messages: list[dict[str, str]], **options) -> object:
        failed_attempts = 0
        while True:
            try:
                return self._client.chat.completions.create(model=self.model, messages=messages, **options)
            except json.JSONDecodeError as error:
                # A body labelled JSON that is not: the client lets the decoder's error through.
                raise LLMError(_UNREADABLE_RESPONSE, kind="bad_response") from error
            except openai.OpenAIError as error:
                failed_attempts += 1
                delay = _retry_delay_s(error) if failed_attempts <= self.max_retries else None
                if delay is None:
                    raise self._to_llm_error(error, attempts=failed_attempts) from error
                logger.warning(
                    "LLM request to %s failed (%s); retrying in %.2f s",
                    self._endpoint_label,
                    error,
                    delay,
                )
                time.sleep(delay)

    def _to_llm_error(self, error: openai.OpenAIError, *, attempts: int) -> LLMError:
        tries = f" (tried {attempts} times)" if attempts > 1 else ""
        if isinstance(error, openai.APITimeoutError):
            return LLMError(
                f"The language model endpoint did not answer within {self.timeout_s:g} s{tries}.",
                kind="timeout",
            )
        if isinstance(error, openai.APIConnectionError):
            return LLMError(
                f"The language model endpoint at {self._endpoint_label} could not be reached"
                f"{tries}.",
                kind="unreachable",
            )
        if isinstance(error, openai.APIStatusError):
            return LLMError(
                f"The language model endpoint returned HTTP {error.status_code}{tries}.",
                kind="http_status",
                status_code=error.status_code,
            )
        # The client's own message stays on error.__cause__ for logs; it can quote the raw body.
        return LLMError(_UNREADABLE_RESPONSE, kind="bad_response")


def _messages(request: CompletionRequest) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": request.system_prompt}]
    messages += [{"role": turn.role, "content": turn.content} for turn in request.history]
    messages.append({"role": "user", "content": request.user_message})
    return messages


def _retry_delay_s(error: openai.OpenAIError) -> float | None:
    """Seconds to wait before retrying `error`, or None when it is not worth retrying.

    Transient: no connection, a timeout, 429 and 5xx. Other 4xx mean the request itself is wrong
    (bad key, unknown model, prompt too long) and would fail again.
    """
    # APITimeoutError is a subclass of APIConnectionError.
    if isinstance(error, openai.APIConnectionError):
        return RETRY_DELAY_S
    if not isinstance(error, openai.APIStatusError):
        return None
    if error.status_code != 429 and error.status_code < 500:
        return None
    retry_after = error.response.headers.get("retry-after")
    if retry_after is None:
        return RETRY_DELAY_S
    try:
        seconds = float(retry_after)
    except ValueError:  # the HTTP-date form; rare from model servers
        return RETRY_DELAY_S
    return seconds if 0 <= seconds <= MAX_RETRY_AFTER_S else None


def _reply_text_and_model(response: object) -> tuple[str | None, str | None]:
    # Servers that are only "mostly" compatible send bodies the client parses leniently: missing
    # choices, null content, or no JSON at all.
    try:
        return response.choices[0].message.content, response.model  # type: ignore[attr-defined]
    except (AttributeError, IndexError, TypeError):
        return None, None


def _origin(url: str) -> str:
    # Error messages reach end users and logs: show scheme, host and port only, never the
    # user:password@ part or a query string some proxies use for keys.
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return "the configured URL"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}"
