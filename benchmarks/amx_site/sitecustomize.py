"""Put on PYTHONPATH of a third-party llama-cpp-python program (the bare script and
``llm`` + ``llm-gguf`` in benchmarks/speed.py) so that it runs on a VM whose CPU
advertises AMX, where the AMX matmul crashes: ``Llama`` loads without extra buffer
types, as lamp's own backend does (``lamp.agent.models.llama_backend._llama_class``).
Harmless elsewhere."""

from __future__ import annotations

try:
    import llama_cpp
except ImportError:  # not a llama-cpp-python program
    llama_cpp = None

if llama_cpp is not None and b"AMX_INT8 = 1" in llama_cpp.llama_print_system_info():

    class _Llama(llama_cpp.Llama):
        @property
        def model_params(self):  # type: ignore[no-untyped-def]
            return self.__dict__["model_params"]

        @model_params.setter
        def model_params(self, params):  # type: ignore[no-untyped-def]
            params.use_extra_bufts = False
            self.__dict__["model_params"] = params

    llama_cpp.Llama = _Llama
