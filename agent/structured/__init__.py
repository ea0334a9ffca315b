"""Structured output (``--schema``): one JSON document valid against the user's schema.

``spec`` reads a schema (inline, file or short field list); ``keywords`` refuses
what would be neither enforced nor validated; ``gbnf`` compiles the rest into a
bounded grammar (with ``pattern``, ``ranges`` and ``formats``); ``output``
constrains generation, validates the result and asks once more when it fails.
"""
