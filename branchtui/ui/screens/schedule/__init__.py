"""The schedule form: scheduling a sitting (once, or as a series), and editing or
cancelling a planned one. ``screen`` is the form, ``form`` what it reads and says without
widgets, ``dialogs`` its dialog for a stale edit (cancelling is in ``ui.dialogs``).

The form keeps whatever the user typed: a bad date, a refused 支委会 or a stale edit is
explained next to the form and nothing is cleared. Saving runs in a thread worker."""
