"""时效性: every status change, by hand, by a cleanup batch, or by the calendar, is recorded and traced.

A change writes the document, a `StatusChange` row (with the state before it, so a batch can be
undone exactly), an audit entry, the Q&A review flags, and mirrors onto the document's
interpretations, all in the caller's transaction; the search index is refreshed after the commit.
Replacement detection only ever creates proposals: the legal office decides.

One module per workflow: `status` (change, check, undo), `history`, `dates` (date-driven
transitions), `proposals` (replacement proposals), and `common` for what they share.
"""
