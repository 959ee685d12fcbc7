"""The first published wording of the newsletter consent, in German and English."""

import hashlib
from datetime import UTC, datetime

from django.db import migrations

TEXTS = {
    "de": (
        "Ja, ich möchte den Newsletter der OPTIGEM GmbH einmal im Quartal per E-Mail erhalten. "
        "Meine E-Mail-Adresse und, falls angegeben, mein Name werden nur dafür verwendet und "
        "nicht weitergegeben; Öffnen und Klicks werden nicht gemessen. Ich kann meine "
        "Einwilligung jederzeit ohne Angabe von Gründen widerrufen: über den Abmeldelink am Ende "
        "jedes Newsletters oder schriftlich an die OPTIGEM GmbH, Hohenbuschei-Allee 1, "
        "44309 Dortmund, info@optigem.com. Näheres steht in der Datenschutzerklärung."
    ),
    "en": (
        "Yes, I would like to receive the OPTIGEM GmbH newsletter by e-mail once a quarter. "
        "My e-mail address and, if given, my name are used only for this and are not passed "
        "on; opening and clicks are not measured. I can withdraw my consent at any time "
        "without giving reasons: through the unsubscribe link at the end of every newsletter "
        "or in writing to OPTIGEM GmbH, Hohenbuschei-Allee 1, 44309 Dortmund, Germany, "
        "info@optigem.com. The privacy policy has the details."
    ),
}
PUBLISHED = datetime(2026, 11, 26, tzinfo=UTC)


def publish(apps, schema_editor):
    ConsentText = apps.get_model("newsletter", "ConsentText")
    for language, text in TEXTS.items():
        ConsentText.objects.get_or_create(
            version=1,
            language=language,
            defaults={
                "text": text,
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
                "published_at": PUBLISHED,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("newsletter", "0001_initial")]

    operations = [migrations.RunPython(publish, migrations.RunPython.noop)]
