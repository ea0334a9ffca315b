"""Program-aided answers (PAL): the model writes a Python program, the sandbox runs it.

``solve`` is the loop (program, run, one repair, a second look); ``prompt`` holds
the worked examples and the harness; ``numbers`` and ``percent`` are the checks
that read the question's own numbers against the program.
"""
