#!/usr/bin/env python
import os
import sys


def main():
    # One rule everywhere (README, "Running in production"): production unless named.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "optigem_site.settings.production")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
