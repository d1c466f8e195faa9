"""Render: the only place that formats numbers or imports rich.

``numbers`` (the one number formatter), ``documents`` (JSON), ``records`` (JSONL, CSV, ``-q``),
``tables`` (rich), ``tools`` (explain, curve, inspect), ``textplot``, ``progress``, and
``output`` (the one atomic writer).
"""
