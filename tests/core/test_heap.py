"""The app's startup moves what it built out of the garbage collector's reach (app.main.settle_heap), so a full
collection under load walks only what requests made since, not the whole process."""

from __future__ import annotations

import gc

import app.main as main


async def test_startup_freezes_what_it_built(monkeypatch):
    async def keep_engine() -> None:
        return None

    monkeypatch.setattr(main, "dispose_engine", keep_engine)
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    app = main.create_app()
    async with app.router.lifespan_context(app):
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the modules, tables and routes of a started app
        # What a full collection walks now: a small part of it.
        assert len(gc.get_objects(generation=2)) < frozen // 10
