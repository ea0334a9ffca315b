"""The tools lamp ships: python, calculator, read_file, list_dir, search_memory, shell."""

from __future__ import annotations

from .calculator import CalculatorTool, calculate
from .list_dir import ListDirTool
from .python import PythonTool
from .read_file import ReadFileTool
from .search_memory import SearchMemoryTool, store_searcher
from .shell import ShellTool

__all__ = [
    "CalculatorTool",
    "ListDirTool",
    "PythonTool",
    "ReadFileTool",
    "SearchMemoryTool",
    "ShellTool",
    "calculate",
    "store_searcher",
]
