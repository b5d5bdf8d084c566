"""Live minutes (记录): the recorder writes the record while the meeting runs. ``screen``
is the screen; ``base``, ``drafts``, ``decisions`` and ``opening`` its parts, one class each
that the screen inherits; ``dialogs`` what it asks.

Per agenda item: each speaker's remarks (the speaker picked by typing part of the name),
and decisions with their tally, judged by the rule set while the numbers are typed.
Whatever is being typed is autosaved as a personal draft every couple of seconds and on
leaving the field, so a crash or a dropped SSH connection loses almost nothing. The entry
times are the server's (the service keeps them); the screen never reads a clock for them.
"""
