"""The two functions every distillation loss on the site is built from: the softmax with a temperature, and the
Kullback-Leibler divergence between two distributions. Standard library only."""

import math


# --8<-- [start:softmax]
def softmax(z: list[float], tau: float = 1.0) -> list[float]:
    """softmax(z / tau); subtracting max(z) first changes nothing but keeps exp() from overflowing."""
    m = max(z)
    e = [math.exp((v - m) / tau) for v in z]
    total = sum(e)
    return [v / total for v in e]
# --8<-- [end:softmax]


# --8<-- [start:kl]
def kl(p: list[float], q: list[float]) -> float:
    """KL(p || q) = sum_t p(t) log(p(t) / q(t)), in nats: zero only when p = q, and positive otherwise. Terms with
    p(t) = 0 contribute 0, and the divergence is infinite if q gives zero probability to a token that p does not."""
    total = 0.0
    for a, b in zip(p, q, strict=True):
        if a > 0:
            if b == 0:
                return math.inf
            total += a * math.log(a / b)
    return total
# --8<-- [end:kl]
