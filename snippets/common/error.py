"""The relative squared error of an approximation, the error measure of the quantization examples. Standard library
only."""

from collections.abc import Sequence


# --8<-- [start:relative_squared_error]
def relative_squared_error(values: Sequence[float], approx: Sequence[float]) -> float:
    """sum (x - x_hat)^2 / sum x^2 over two equally long flat sequences (a matrix flattened row by row): 0 = exact,
    1 = as bad as replacing everything by zero."""
    return sum((a - b) ** 2 for a, b in zip(values, approx, strict=True)) / sum(a * a for a in values)
# --8<-- [end:relative_squared_error]
