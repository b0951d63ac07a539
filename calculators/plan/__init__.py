"""Models on GPUs: the GPU catalog (``gpus``), a checked deployment (``deployment``), the engines that turn it into
memory terms per GPU (``engines/``, with vLLM's rules release by release in ``vllm_releases``), the inference planner
(``inference``: ``memory_plan``, ``recommend``), training memory per GPU (``training``), and the planner held
against real vLLM start-up logs (``calibration``)."""
