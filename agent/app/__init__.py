"""The application layer: one typed request per mode, answered by one entry.

Between the CLI (flags) and the loops (conversation, ReAct, PAL, grounded,
structured output): a request says what the user asked for, ``answer`` runs it
on a Runtime and streams typed events, and ``fold`` turns them into one result.
"""
