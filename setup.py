"""Build hook for the optional compiled kernels (cece/_native/_fast.c); metadata is in pyproject.toml.

``optional=True``: where the extension cannot be built (no C compiler, a non-x86 CPU), the
install still succeeds and cece computes with numpy alone.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("cece._native._fast", sources=["cece/_native/_fast.c"], extra_compile_args=["-O3"],
                  optional=True),
    ],
)
