"""The bytes of one model, on no particular GPU: its weights in a storage format (``weights``), its KV cache and
recurrent state (``kv``), the tensor widths its activations follow (``activations``) and what a CUDA process pays
before it holds any of them (``runtime``). Nothing here knows a GPU, an engine or a deployment: :mod:`calculators.plan`
puts these bytes on GPUs."""
