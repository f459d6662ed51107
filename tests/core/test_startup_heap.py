"""A served app freezes the heap it built at start (config FREEZE_STARTUP_HEAP), so Python's
full garbage collections stop walking it; the test suite's config leaves it off."""

import gc

from app import create_app


def test_a_served_app_freezes_its_startup_heap_and_the_test_config_does_not():
    gc.unfreeze()
    try:
        create_app("testing")
        assert gc.get_freeze_count() == 0
        create_app("testing", FREEZE_STARTUP_HEAP=True)
        assert gc.get_freeze_count() > 10_000  # modules, mappers, routes: far more than a few
        assert len(gc.get_objects()) < gc.get_freeze_count()  # what a collection still walks
    finally:
        gc.unfreeze()


def test_development_and_production_configs_freeze_it():
    from config import CONFIGS

    assert CONFIGS["development"].FREEZE_STARTUP_HEAP is True
    assert CONFIGS["production"].FREEZE_STARTUP_HEAP is True
    assert CONFIGS["testing"].FREEZE_STARTUP_HEAP is False
