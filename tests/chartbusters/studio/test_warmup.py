"""Warming a generation worker: the checkpoints are loaded once per pool process, only
where the generation queue is read and the setting allows it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from chartbusters.studio import warmup
from generation.arcnn import gibbs as arcnn
from generation.gan import model as gan
from generation.gan.styles import STYLES
from generation.transformer import model as transformer

ALL = ["arcnn", "transformer", *(f"gan-{style}" for style in STYLES)]


def worker_app(*queues: str) -> Any:
    """What the handler reads of a Celery app: the queues its worker consumes."""
    return SimpleNamespace(amqp=SimpleNamespace(queues=SimpleNamespace(consume_from=queues)))


@pytest.fixture
def cold_caches() -> None:
    for loader in (arcnn.shipped_model, transformer.shipped_model, gan.shipped_model):
        loader.cache_clear()


def cached() -> int:
    loaders = (arcnn.shipped_model, transformer.shipped_model, gan.shipped_model)
    return sum(loader.cache_info().currsize for loader in loaders)


def test_a_generation_worker_loads_every_shipped_checkpoint(
    settings: Any, cold_caches: None
) -> None:
    settings.STUDIO_PRELOAD_MODELS = True
    assert warmup.warm_worker(worker_app("generation", "celery")) == ALL
    assert cached() == len(ALL)
    assert gan.shipped_model.cache_info().currsize == len(STYLES)


def test_a_worker_that_does_not_generate_loads_nothing(settings: Any, cold_caches: None) -> None:
    settings.STUDIO_PRELOAD_MODELS = True
    assert warmup.warm_worker(worker_app("celery", "evaluation")) == []
    assert cached() == 0


def test_the_setting_turns_it_off(settings: Any, cold_caches: None) -> None:
    settings.STUDIO_PRELOAD_MODELS = False
    assert warmup.warm_worker(worker_app("generation")) == []
    assert cached() == 0


def test_a_checkpoint_that_fails_to_load_is_logged_and_the_rest_still_load(
    settings: Any, cold_caches: None, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def broken() -> None:
        raise ValueError("checkpoint config does not match")

    monkeypatch.setattr(transformer, "shipped_model", broken)
    settings.STUDIO_PRELOAD_MODELS = True
    assert warmup.warm_worker(worker_app("generation")) == [n for n in ALL if n != "transformer"]
    assert "Could not preload the transformer checkpoint" in caplog.text


def test_the_handler_listens_to_celerys_pool_process_start() -> None:
    from celery.signals import worker_process_init

    import chartbusters.studio.tasks  # noqa: F401  (what the worker imports)

    receivers = [ref() for _, ref in worker_process_init.receivers]
    assert warmup.preload_in_generation_workers in receivers
