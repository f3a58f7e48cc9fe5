"""Reaching the Hugging Face hub, or failing at once with a line that says what to fetch.

Without a filled cache and without the hub, transformers, huggingface_hub and datasets retry
their requests for minutes and then fail with messages that do not name the model. Here:

* ``hub_unreachable`` answers, once per workflow process, whether the hub can be reached
  (``HF_HUB_OFFLINE`` set, or one DNS lookup and TCP connect with a short timeout). When it
  cannot, common.smk puts every job in offline mode (``OFFLINE``), so a missing file is an
  immediate error instead of minutes of retries, and records why in ``REASON_ENV``.
* ``require_cached`` checks a job's hub model in the cache before the job imports torch, and
  ``hub_source`` wraps a load by hub id: in offline mode a load that misses the cache
  becomes one ``HubUnavailable`` line naming the model, tokenizer or dataset and the cache.
  ``inforidge.workflow.failures`` collects those lines per run at the end of the workflow and adds the
  ``inforidge fetch`` command that fills the cache.

Torch-free and network-free unless ``hub_unreachable`` is called.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

#: What a process needs to run from the cache alone (the libraries read these when imported).
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
#: Why the workflow put its jobs offline (set with OFFLINE by common.smk; read for the message).
REASON_ENV = "INFORIDGE_HUB_UNREACHABLE"
#: The phrase every HubUnavailable message holds; inforidge.workflow.failures finds those lines by it.
MISSING = "is not in the Hugging Face cache"
_TRUE = {"1", "on", "yes", "true"}


class HubUnavailable(FileNotFoundError):
    """A hub model, tokenizer or dataset is missing from the cache and the hub cannot be reached.

    A FileNotFoundError, so ``inforidge.workflow.jobs.job`` reports it as one user-error line.
    """


def offline() -> bool:
    """Whether this process runs from the cache alone (HF_HUB_OFFLINE, or its older alias)."""
    return any(os.environ.get(k, "").strip().lower() in _TRUE for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def hub_unreachable(timeout: float = 3.0) -> str | None:
    """Why the hub cannot be reached now, or None when a TCP connection to it opens.

    One DNS lookup and one connect to ``HF_ENDPOINT`` (default huggingface.co:443), each
    bounded by ``timeout`` seconds: a host that cannot be resolved costs seconds, not the
    libraries' minutes of retries. No request is sent.
    """
    if offline():
        return "HF_HUB_OFFLINE is set"
    endpoint = urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host = endpoint.hostname or "huggingface.co"
    port = endpoint.port or (80 if endpoint.scheme == "http" else 443)
    outcome: list[str | None] = []

    def probe() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            outcome.append(None)
        except socket.gaierror:
            outcome.append(f"cannot resolve {host}")
        except OSError as err:
            outcome.append(f"cannot connect to {host}:{port} ({err.strerror or type(err).__name__})")

    # getaddrinfo has no timeout of its own: a resolver that never answers must not hang the plan.
    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(2 * timeout)
    return outcome[0] if outcome else f"cannot resolve {host} within {2 * timeout:.0f} s"


def go_offline(reason: str) -> dict[str, str]:
    """The environment that runs every later process from the cache, and why (for the messages)."""
    return {**OFFLINE, REASON_ENV: reason}


def missing_line(kind: str, name: str, revision: str | None = None) -> str:
    """The line a job fails with when ``kind`` (model, dataset) ``name`` is not cached and the hub is out of reach."""
    at = f" at revision {revision}" if revision else ""
    reason = os.environ.get(REASON_ENV) or "HF_HUB_OFFLINE is set"
    return f"{kind} {name!r}{at} {MISSING} ({_cache_dir(kind)}) and the hub cannot be reached ({reason})"


@contextmanager
def hub_source(kind: str, name: str, revision: str | None = None) -> Iterator[None]:
    """Around a load of ``name``: offline, an OSError (what the libraries raise for a file neither
    cached nor downloadable) becomes ``HubUnavailable``. A local path is loaded as it is."""
    if Path(name).expanduser().exists():
        yield
        return
    try:
        yield
    except HubUnavailable:
        raise
    except OSError as err:
        if not offline():
            raise
        raise HubUnavailable(missing_line(kind, name, revision)) from err


def require_cached(name: str, revision: str | None = None) -> None:
    """Offline, fail at once when hub model ``name`` has no config.json cached at ``revision``.

    Torch-free and without network: a job calls it before importing torch and transformers
    (seconds each), so a missing model costs a job a second, not its whole start-up.
    """
    if not offline() or Path(name).expanduser().exists():
        return
    from huggingface_hub import try_to_load_from_cache

    if not isinstance(try_to_load_from_cache(name, "config.json", revision=revision), str):
        raise HubUnavailable(missing_line("model", name, revision))


def _cache_dir(kind: str) -> str:
    if kind == "dataset":
        from datasets import config

        return str(config.HF_DATASETS_CACHE)
    from huggingface_hub import constants

    return str(constants.HF_HUB_CACHE)
