"""What a model is and how it is read: a :class:`~calculators.model.spec.ModelSpec` (its weight tensors and one token
mixer per layer), the readers of ``config.json`` that build it (``families/``), where a config comes from
(``configs``, ``presets``), what one element of a cache takes (``dtypes``) and the parameter counts (``params``)."""
