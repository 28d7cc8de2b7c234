#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not os.environ.get("DATABASE_URL", "").strip():
        # No DATABASE_URL means the embedded database, which is development only: a newcomer's
        # `manage.py createsuperuser` works as is. Production names its database, so DEBUG stays
        # off there unless set (and gunicorn, which does not come through here, never defaults it).
        os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
