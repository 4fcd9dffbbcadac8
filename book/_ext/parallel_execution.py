"""Sphinx extension: execute the notebooks that need it two (or more) at a time.

myst-nb's ``cache`` mode executes outdated notebooks one by one while Sphinx reads them, so a clean
build costs the sum of every chapter's run time while one of the machine's cores sits idle. Before
reading starts, this runs the outdated notebooks in parallel processes and stores them in the same
jupyter-cache that myst-nb consults, so myst-nb then finds each one cached. A notebook that fails here
is simply not stored: myst-nb executes it again itself and reports the error as usual.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _execute(path: str, timeout: int | None, allow_errors: bool, threads: int):
    # Each kernel gets its share of the cores: two kernels that each spin up a full set of OpenMP
    # threads (torch, BLAS) fight over the cores and the build gets slower, not faster.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(threads)
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    nb = nbformat.read(path, as_version=4)
    result = single_nb_execution(
        nb, cwd=str(Path(path).parent), timeout=timeout, allow_errors=allow_errors, meta_override=True
    )
    return path, nb, result.time, result.err is None


def _outdated(cache, paths: list[Path]) -> list[Path]:
    import nbformat

    todo = []
    for path in paths:
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            todo.append(path)
    return todo


def _run_outdated_in_parallel(app: Sphinx, env, docnames: list[str]) -> None:
    config = getattr(env, "mystnb_config", None)
    if config is None or config.execution_mode != "cache" or not config.execution_cache_path:
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    paths = [Path(env.doc2path(name)) for name in docnames]
    paths = [
        p for p in paths if p.suffix == ".ipynb" and not any(p.match(pat) for pat in config.execution_excludepatterns)
    ]
    cache = get_cache(config.execution_cache_path)
    # longest first: a slow notebook started last would run alone at the end while the other cores sit idle
    first = app.config.parallel_execution_first
    todo = sorted(
        _outdated(cache, paths), key=lambda p: (p.stem not in first, first.index(p.stem) if p.stem in first else 0)
    )
    cores = os.cpu_count() or 1
    workers = min(len(todo), cores)
    if workers < 2:
        return
    logger.info(f"[parallel-execution] running {len(todo)} notebooks, {workers} at a time")
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(
                _execute, str(p), config.execution_timeout, config.execution_allow_errors, max(1, cores // workers)
            )
            for p in todo
        ]
        for future in futures:
            path, nb, seconds, ok = future.result()
            if ok:
                record = cache.add_nb_to_project(path)
                cache.cache_notebook_bundle(
                    CacheBundleIn(nb, record.uri, data={"execution_seconds": seconds}),
                    check_validity=False,
                    overwrite=True,
                )


def setup(app: Sphinx) -> dict:
    app.add_config_value("parallel_execution_first", [], "env", [list])
    app.connect("env-before-read-docs", _run_outdated_in_parallel, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
