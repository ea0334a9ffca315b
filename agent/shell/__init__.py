"""Shell commands the model proposes: drafting them (``lamp cmd``) and judging their risk.

``drafter`` asks the model for one command line; ``risk`` reads that line as the
shell would (``lexer`` -> ``parser`` -> ``syntax`` tree, ``words`` expands each
word, ``commands`` sees through wrappers, ``programs`` reads ``-c`` code,
``facts`` and ``rules`` judge) and says why to look twice before running it.
"""
