"""The tools that explain cross-entropy: ``explain`` (one sample, step by step), ``curve`` (the
loss against the predicted probability) and ``inspect`` (what cece sees in a file). Pure
computation: they return data that :mod:`cece.report` draws."""
