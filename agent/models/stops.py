"""Stop strings over a token stream: emit text as soon as it cannot start a stop string.

Streaming and stop strings pull in opposite directions: print too early and a
stop marker leaks to the user; hold everything back and streaming is gone. We
keep back only the longest tail that is still a prefix of some stop string.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["StopScanner"]


@dataclass
class StopScanner:
    stops: tuple[str, ...]
    _pending: str = field(default="", init=False)
    stopped: bool = field(default=False, init=False)

    def feed(self, text: str) -> str:
        """Add generated text; return the part that is safe to show now."""
        if self.stopped:
            return ""
        buf = self._pending + text
        if not self.stops:
            self._pending = ""
            return buf
        cut = min((i for s in self.stops if s and (i := buf.find(s)) >= 0), default=-1)
        if cut >= 0:
            self.stopped = True
            self._pending = ""
            return buf[:cut]
        hold = 0
        for stop in self.stops:
            for n in range(min(len(stop) - 1, len(buf)), 0, -1):
                if buf.endswith(stop[:n]):
                    hold = max(hold, n)
                    break
        self._pending = buf[len(buf) - hold:] if hold else ""
        return buf[: len(buf) - hold]

    def flush(self) -> str:
        """At the end of generation, whatever was held back is real text."""
        out, self._pending = ("" if self.stopped else self._pending), ""
        return out
