"""The tool loop (ReAct): thought, one tool call, its observation, until a final answer.

``answer`` decides what a tools request means (which tools, demos, system prompt);
``loop`` runs the steps; ``route`` asks first whether a tool is needed at all;
``formats`` writes and parses steps in the native or Thought/Action format;
``call_values`` holds back calls whose numbers the question never gave.
"""
