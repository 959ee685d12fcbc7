"""Small holder models, one per kind of retention rule, so the tests need no production app."""

from django.db import models


class Inquiry(models.Model):
    """Deleted some time after creation; unconfirmed ones after hours (a rule with a condition)."""

    email = models.EmailField()
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(db_index=True)
    confirmed = models.BooleanField(default=True)

    def __str__(self):
        return f"Inquiry {self.pk}"


class InquiryNote(models.Model):
    """Goes with its inquiry (on_delete=CASCADE), so the run reports dependent rows."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField()

    def __str__(self):
        return f"Note {self.pk}"


class Order(models.Model):
    """Kept for ten years from the end of the year of its invoice (§ 147 AO, a DateField)."""

    email = models.EmailField()
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    invoiced_on = models.DateField(null=True, blank=True)

    def __str__(self):
        return f"Order {self.pk}"


class Letter(models.Model):
    """A business letter, kept six years from the end of the year it was sent (§ 257 HGB)."""

    email = models.EmailField()
    sent_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"Letter {self.pk}"


class Registration(models.Model):
    """Anonymised after the event: the row stays for attendance statistics, the person goes."""

    email = models.EmailField(blank=True)
    name = models.CharField(max_length=100, blank=True)
    event = models.CharField(max_length=100)
    created_at = models.DateTimeField(db_index=True)
    anonymised = models.BooleanField(default=False)

    def __str__(self):
        return f"Registration {self.pk}"


class Voucher(models.Model):
    """A text primary key: the run pages through keys it cannot do arithmetic on."""

    code = models.CharField(max_length=20, primary_key=True)
    email = models.EmailField()
    created_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.code
