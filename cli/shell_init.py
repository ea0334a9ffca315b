"""`lamp cmd --shell-init SHELL`: a key binding that turns the line being typed into a command.

Type what you want in words, press Ctrl-X Ctrl-L, and the line is replaced by
the proposed command, left there to read, edit and run with Enter (nothing runs
by itself). Ctrl-X Ctrl-L is unbound in bash's and zsh's default emacs keymaps;
Alt-L, the obvious choice, is downcase-word in both and lists a directory in
fish. The snippet calls ``lamp cmd --print``, so the risk warning still shows
on stderr above the prompt.
"""

from __future__ import annotations

from lamp.agent.errors import UsageError

__all__ = ["KEY", "SNIPPETS", "shell_init"]

KEY = "Ctrl-X Ctrl-L"

_BASH = r'''# lamp cmd: type a request, press Ctrl-X Ctrl-L to turn it into a command.
# Add to ~/.bashrc:  eval "$(lamp cmd --shell-init bash)"
__lamp_cmd() {
  local proposed
  [[ -n "$READLINE_LINE" ]] || return 0
  proposed=$(lamp cmd --print --shell bash -- "$READLINE_LINE" </dev/null) || return 0
  [[ -n "$proposed" ]] || return 0
  READLINE_LINE=$proposed
  READLINE_POINT=${#READLINE_LINE}
}
bind -x '"\C-x\C-l": __lamp_cmd'
'''

_ZSH = r'''# lamp cmd: type a request, press Ctrl-X Ctrl-L to turn it into a command.
# Add to ~/.zshrc:  eval "$(lamp cmd --shell-init zsh)"
__lamp_cmd() {
  local proposed
  if [[ -n "$BUFFER" ]]; then
    zle -I
    proposed=$(lamp cmd --print --shell zsh -- "$BUFFER" </dev/null)
    if [[ $? -eq 0 && -n "$proposed" ]]; then
      BUFFER=$proposed
      CURSOR=${#BUFFER}
    fi
  fi
  zle reset-prompt
}
zle -N __lamp_cmd
bindkey '^X^L' __lamp_cmd
'''

_FISH = r'''# lamp cmd: type a request, press Ctrl-X Ctrl-L to turn it into a command.
# Add to ~/.config/fish/config.fish:  lamp cmd --shell-init fish | source
function __lamp_cmd
    set -l line (commandline)
    if test -n "$line"
        set -l proposed (lamp cmd --print --shell fish -- "$line" </dev/null)
        if test $status -eq 0 -a -n "$proposed"
            commandline --replace -- "$proposed"
        end
    end
    commandline -f repaint
end
bind \cx\cl __lamp_cmd
'''

SNIPPETS = {"bash": _BASH, "zsh": _ZSH, "fish": _FISH}


def shell_init(shell: str) -> str:
    """The snippet for ``shell``; a UsageError (exit 2) naming the shells there are."""
    try:
        return SNIPPETS[shell.strip().lower()]
    except KeyError:
        raise UsageError(f"--shell-init knows {', '.join(SNIPPETS)}, not {shell!r}") from None
