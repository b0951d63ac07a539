"""SVG chart of memory per GPU against context length, by component, with the GPU's capacity as lines.

Drawn from :func:`calculators.plan.inference.memory_curve` (memory_plan's breakdown) at context lengths spaced by
powers of two, so the chart shows the same numbers as the plan. Pure string building (no plotting library), so it
runs in Pyodide; every text that reaches the SVG is XML-escaped.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from calculators.plan.inference import memory_curve

GIB = 2**30
WIDTH, HEIGHT = 720, 360
LEFT, RIGHT, TOP, BOTTOM = 64, 150, 16, 44

# Stacked from the bottom: (breakdown keys summed, label key, CSS colour); None = every other term, so the stack
# always adds up to the plan's whole breakdown (activations, CUDA graphs, workspaces, NCCL, the CUDA context)
LAYERS = (
    (("weights",), "weights", "#5c6bc0"),
    (None, "runtime", "#ffb74d"),
    (("kv_cache", "recurrent_state"), "kv_cache", "#26a69a"),
)
_NAMED = {key for keys, _, _ in LAYERS if keys for key in keys}
DEFAULT_LABELS = {
    "weights": "weights",
    "runtime": "activations and runtime",
    "kv_cache": "KV cache",
    "budget": "budget",
    "total": "GPU memory",
    "x_axis": "context length (tokens, log scale)",
    "y_axis": "GiB per GPU",
}


def context_points(max_tokens: int, min_tokens: int = 512) -> list[int]:
    """Powers of two from min_tokens up to max_tokens, with max_tokens itself as the last point."""
    points, n = [], min_tokens
    while n < max_tokens:
        points.append(n)
        n *= 2
    return [*points, max_tokens]


def memory_chart_svg(spec, *, max_tokens: int | None = None, labels: dict | None = None, **plan_args) -> str:
    """An SVG (as a string) of memory per GPU from 512 tokens to max_tokens (default: the model's maximum
    position embeddings, else 131,072), for the deployment described by ``plan_args`` (memory_plan's keywords
    other than seq_len)."""
    text = {**DEFAULT_LABELS, **(labels or {})}
    max_tokens = max_tokens or getattr(spec, "max_position_embeddings", None) or 131_072
    xs = context_points(max(max_tokens, 1024))
    breakdowns, budget, gpu_bytes = memory_curve(spec, xs, **plan_args)
    stacks = [[_layer_bytes(breakdown, keys) / GIB for keys, _, _ in LAYERS] for breakdown in breakdowns]
    budget_gib, total_gib = budget / GIB, gpu_bytes / GIB
    y_max = _nice_ceiling(max(max(sum(s) for s in stacks), total_gib) * 1.05)

    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(i: int) -> float:
        return LEFT + plot_w * i / (len(xs) - 1)

    def py(gib: float) -> float:
        return TOP + plot_h * (1 - gib / y_max)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="calc-chart" role="img" '
        f'aria-label="{escape(text["y_axis"])} / {escape(text["x_axis"])}" font-size="11" font-family="sans-serif">'
    ]
    for tick in _ticks(y_max):
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{py(tick):.1f}" y2="{py(tick):.1f}" '
                     'stroke="currentColor" stroke-opacity="0.12"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{py(tick) + 4:.1f}" text-anchor="end" fill="currentColor">'
                     f'{tick:g}</text>')
    lower = [0.0] * len(xs)
    for layer, (_, label_key, colour) in enumerate(LAYERS):
        upper = [low + stack[layer] for low, stack in zip(lower, stacks, strict=True)]
        outline = [f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(upper)]
        outline += [f"{px(i):.1f},{py(v):.1f}" for i, v in reversed(list(enumerate(lower)))]
        parts.append(f'<polygon points="{" ".join(outline)}" fill="{colour}" fill-opacity="0.85">'
                     f"<title>{escape(text[label_key])}</title></polygon>")
        legend_y = TOP + 14 + 18 * (len(LAYERS) - 1 - layer)
        parts.append(f'<rect x="{LEFT + plot_w + 12}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{LEFT + plot_w + 26}" y="{legend_y}" fill="currentColor">'
                     f"{escape(text[label_key])}</text>")
        lower = upper
    for value, label_key, dash in ((budget_gib, "budget", "6 3"), (total_gib, "total", "2 2")):
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{py(value):.1f}" y2="{py(value):.1f}" '
                     f'stroke="#e53935" stroke-width="1.5" stroke-dasharray="{dash}"/>')
        parts.append(f'<text x="{LEFT + plot_w + 12}" y="{py(value) + 4:.1f}" fill="#e53935">'
                     f"{escape(text[label_key])} {value:.1f}</text>")
    for i, x in enumerate(xs):
        if i == len(xs) - 1 or i % max(1, len(xs) // 6) == 0:
            parts.append(f'<text x="{px(i):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" '
                         f'fill="currentColor">{_tokens(x)}</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" fill="currentColor">'
                 f'{escape(text["x_axis"])}</text>')
    parts.append(f'<text transform="translate(14 {TOP + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" '
                 f'fill="currentColor">{escape(text["y_axis"])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _layer_bytes(breakdown: dict[str, int], keys) -> int:
    if keys is None:
        return sum(value for key, value in breakdown.items() if key not in _NAMED)
    return sum(breakdown.get(key, 0) for key in keys)


def _tokens(n: int) -> str:
    return f"{n // 1024}K" if n % 1024 == 0 else f"{n:,}"


def _nice_ceiling(value: float) -> float:
    step = 10 ** max(0, len(str(int(value))) - 1)
    for multiple in (1, 2, 2.5, 5, 10):
        if value <= step * multiple:
            return step * multiple
    return step * 10


def _ticks(y_max: float) -> list[float]:
    step = y_max / 5
    return [round(step * k, 6) for k in range(6)]
