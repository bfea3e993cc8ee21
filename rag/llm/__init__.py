"""The answer model behind one interface: ``Generator`` (base), the in-process llama.cpp backend
(the only module that touches llama-cpp-python's internals), the OpenAI-compatible server backend,
and ``load_generator``, which picks one from the settings."""
