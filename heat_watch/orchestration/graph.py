"""Running work over a dependency graph: each node once all it requires is
done (or, in reverse, once everything requiring it is done), independent
nodes concurrently on a bounded thread pool.

After a failure no new node starts; the nodes already running finish, and
every failure is returned.
"""

import concurrent.futures
from collections.abc import Callable

from heat_watch.common import exceptions


def reversed_graph(requires: dict[str, set[str]]) -> dict[str, set[str]]:
    """Node -> the nodes that require it (deletion order)."""
    required_by: dict[str, set[str]] = {name: set() for name in requires}
    for name, needs in requires.items():
        for need in needs:
            if need in required_by:
                required_by[need].add(name)
    return required_by


def order(requires: dict[str, set[str]]) -> list[str]:
    """A topological order (requirements first); InvalidTemplate on a cycle."""
    done: list[str] = []
    remaining = {name: {n for n in needs if n in requires} for name, needs in requires.items()}
    while remaining:
        ready = sorted(name for name, needs in remaining.items() if not needs)
        if not ready:
            raise exceptions.InvalidTemplate(
                'Circular Dependency Found: %s' % ', '.join(sorted(remaining)))
        done.extend(ready)
        for name in ready:
            del remaining[name]
        for needs in remaining.values():
            needs.difference_update(ready)
    return done


def run(requires: dict[str, set[str]], work: Callable[[str], None],
        max_workers: int) -> dict[str, BaseException]:
    """Call ``work(node)`` for every node after the nodes it requires.

    Returns the failures by node (empty when everything succeeded). Nodes
    that never started (a requirement failed) are simply left out.
    """
    order(requires)  # refuse cycles before starting anything
    if len(requires) == 1:
        # Nothing to run beside it: on this thread, no pool to start.
        name = next(iter(requires))
        try:
            work(name)
        except BaseException as error:  # noqa: BLE001 - reported as the pool would
            return {name: error}
        return {}
    waiting = {name: {n for n in needs if n in requires} for name, needs in requires.items()}
    failures: dict[str, BaseException] = {}
    running: dict[concurrent.futures.Future, str] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, max_workers),
                                               thread_name_prefix='resource') as pool:
        def submit_ready() -> None:
            for name in sorted(n for n, needs in waiting.items() if not needs):
                del waiting[name]
                running[pool.submit(work, name)] = name

        submit_ready()
        while running:
            finished, _ = concurrent.futures.wait(
                running, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in finished:
                name = running.pop(future)
                error = future.exception()
                if error is not None:
                    failures[name] = error
                    continue
                for needs in waiting.values():
                    needs.discard(name)
            if not failures:
                submit_ready()
    return failures
