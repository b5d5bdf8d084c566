"""The attendance sheet of one meeting (DOMAIN.md §3), made for marking a large branch from
the keyboard (``screen``; its questions in ``dialogs``): one key per status marks the member
under the cursor and moves down.

Keys: ``1``/``p`` 出席, ``2``/``l`` 迟到, ``3``/``q`` 请假 (asks kind and reason), ``4``/``a``
缺席 (asks a reason, may stay empty). Digits work on every keyboard; the letters are
mnemonics (present, late, 请假 qǐngjià, absent). 免 is set by the roll, never by a key;
marking an exempt member asks first.

Each mark is saved by ``services.meetings.mark`` in a thread worker. Marks go through one
queue, saved in the order they were typed, so two quick keys on the same row never race
each other; only that row's cells are redrawn, and the counts and quorum lights are
recomputed from the rows held here, without a query. A mark that meets someone else's
(a second recorder) shows theirs and lets the user choose.
"""
