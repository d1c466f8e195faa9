"""cece: cross-entropy from the command line, and as plain NumPy functions.

The losses are imported on first use (PEP 562), so ``import cece`` and ``cece --help`` stay
fast: numpy is loaded only when a loss is asked for.
"""

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "categorical_cross_entropy",
    "entropy",
    "kl_divergence",
]


def __getattr__(name: str):
    if name in __all__:
        from cece import losses

        return getattr(losses, name)
    raise AttributeError(f"module 'cece' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
