"""One module per family of implementations; each defines ``clients()`` and ``servers()``."""
