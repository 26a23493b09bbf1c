"""One module per AWS resource kind, all behind the ``Handler`` interface of ``base``."""
