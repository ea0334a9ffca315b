"""Answers grounded in material the user gave: attached files and ingested documents.

``attachments`` fits attached files into the context; ``sources`` retrieves and
fits numbered sources from the store; ``answer`` asks for an answer that cites
them as [n] and checks the citations.
"""
