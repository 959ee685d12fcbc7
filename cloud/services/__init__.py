"""State changes of the cloud, one module per job.

``organisations`` (set-up, cancellation, its notices), ``invitations``, ``members`` (roles and
own accounts), ``receipts`` (with four eyes and decision mails), ``uploads`` (kept pending
uploads), ``api_tokens`` and ``mails`` (the one transactional sender). Importers name the
module they need; this package re-exports nothing.
"""
