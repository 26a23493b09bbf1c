"""The use cases: one module per command (``up``, ``down``, ``plan``, ``status``, ``logs``,
``execute`` for ``exec``, ``init``), each a function over a ``Target`` (``target``) and its
connected ``Stages`` (``stages``) that takes callbacks and returns a result object. No
printing: the CLI renders the results through ``output``."""
