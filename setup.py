"""Build hook for the optional compiled kernels (cece/_native/); metadata is in pyproject.toml.

One extension, ``cece._native._fast``, from three parts: the loss kernels and the Python glue
(``_fast.c``), the SIMD helpers they share (``simd.h``) and the plain-text parser
(``parse.c`` / ``parse.h``). ``optional=True``: where it cannot be built (no C compiler, a
non-x86 CPU), the install still succeeds and cece computes with numpy alone; CI sets
``CECE_REQUIRE_FAST=1`` so that a missing build fails there instead (cece/_native/__init__.py).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "cece._native._fast",
            sources=["cece/_native/_fast.c", "cece/_native/parse.c", "cece/_native/records.c"],
            depends=[
                "cece/_native/simd.h",
                "cece/_native/isa.h",
                "cece/_native/vexp.h",
                "cece/_native/softmax_f.h",
                "cece/_native/parse.h",
                "cece/_native/pow5.h",
                "cece/_native/logtab.h",
                "cece/_native/logdtab.h",
                "cece/_native/exptab.h",
                "cece/_native/records.h",
            ],
            extra_compile_args=["-O3"],
            optional=True,
        ),
    ],
)
