"""How a result reads: the JSON results as HTML and Markdown tables (``report``) and memory against context length
as an SVG chart (``chart``). The sentences inside a result are :mod:`calculators.messages`, which every layer
speaks; a page's field labels stay with the page (hooks/calculator_widget.py)."""
