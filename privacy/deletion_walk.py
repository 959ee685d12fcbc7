"""How the deletion run walks a rule's expired rows: ranges of primary keys, one batch each."""

from django.db import models
from django.db.models import Count, Max


class KeyRanges:
    """The ranges of primary keys, ``(lower, upper]``, in which a rule's batches lie.

    Integer keys are walked in ranges whose width adapts to how densely the expired rows lie,
    aiming at ``batch_size`` rows a batch and never wider than ``MAX_WIDTH`` batches (so never
    more rows than that in one transaction): finding a range costs no query at all. A count
    taken first says when every expired row has been seen, so the walk never searches the rest
    of the table for rows that are not there; after an empty range it looks up the next expired
    key to jump the gap. Other keys (UUIDs, text) are paged: the ``batch_size``-th next key
    bounds the range.
    """

    MAX_WIDTH = 4

    def __init__(self, candidates: models.QuerySet, *, batch_size: int):
        self.candidates = candidates
        self.batch_size = batch_size
        self.integer = isinstance(candidates.model._meta.pk, models.IntegerField)
        self.remaining = candidates.count()
        self.width = batch_size
        self.lower: int | None = None
        self.jump = True
        self.last_page = False

    def next(self) -> tuple | None:
        if self.remaining <= 0 or self.last_page:
            return None
        if not self.integer:
            return self._page()
        if self.jump:
            after = (
                self.candidates if self.lower is None else self.candidates.filter(pk__gt=self.lower)
            )
            first = after.order_by("pk").values_list("pk", flat=True).first()
            if first is None:
                return None
            self.lower = first - 1
        assert self.lower is not None  # set by the jump above on the first call
        upper = self.lower + self.width
        bounds, self.lower = (self.lower, upper), upper
        return bounds

    def saw(self, rows: int) -> None:
        self.remaining -= rows
        self.jump = rows == 0
        if self.integer and rows:
            wanted = self.width * self.batch_size // rows
            self.width = max(1, min(wanted, self.batch_size * self.MAX_WIDTH))

    def _page(self) -> tuple | None:
        after = self.candidates if self.lower is None else self.candidates.filter(pk__gt=self.lower)
        edge = (
            after.order_by("pk")
            .values("pk")[: self.batch_size]
            .aggregate(upper=Max("pk"), rows=Count("pk"))
        )
        if not edge["rows"]:
            return None
        self.last_page = edge["rows"] < self.batch_size
        bounds, self.lower = (self.lower, edge["upper"]), edge["upper"]
        return bounds
