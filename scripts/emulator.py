"""The local AWS emulator for the demo, the end-to-end tests and the benchmark: a moto
server that answers one request at a time.

moto's backends are not thread-safe: its IAM ``get_role`` iterates over the roles while
another request's CreateRole adds one ("dictionary changed size during iteration"), and
ecsdeploy calls AWS from several threads. moto's server runs a thread per request, so this
wraps its application in a lock (moto's work is Python under one interpreter lock anyway:
the order changes, the throughput does not). AWS itself has no such race.

moto never finishes an ECS rollout; ``moto_rollouts`` (next to this file) makes every
rollout complete at once, as a healthy one does on AWS.

Usage: python scripts/emulator.py -H 127.0.0.1 -p PORT (moto.server's own options).
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Any

from moto import server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_answer = DomainDispatcherApplication.__call__
_one_at_a_time = threading.Lock()


def _serialised(self: DomainDispatcherApplication, environ: Any, start_response: Any) -> Any:
    with _one_at_a_time:
        # moto's Flask apps build the whole response before returning it
        return _answer(self, environ, start_response)


DomainDispatcherApplication.__call__ = _serialised  # type: ignore[method-assign]


def _finish_rollouts() -> None:
    found = importlib.util.spec_from_file_location(
        "moto_rollouts", Path(__file__).with_name("moto_rollouts.py")
    )
    assert found is not None and found.loader is not None
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    module.finish_rollouts()


_finish_rollouts()

if __name__ == "__main__":
    server.main()
