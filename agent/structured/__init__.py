"""Structured output (``--schema``): one JSON document valid against the user's schema.

``spec`` reads a schema (inline, file or short field list) and checks what the
grammar can enforce; ``output`` constrains generation and validates the result.
"""
