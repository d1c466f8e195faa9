"""Read: input arguments → arrays and tables → aligned row blocks.

``readers`` resolves an argument (a path, ``-``, a JSON literal) and opens it; ``arrays``,
``arrow``, ``text`` and ``compression`` read the formats; ``inputs`` and ``labels`` choose the
columns and classify the labels; ``blocks`` reads the sources together in row blocks.
"""
