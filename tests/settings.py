"""The test suite runs on the development settings: DEBUG on (the embedded database or DATABASE_URL,
the development secret key). Tests of the production settings start their own interpreter with DEBUG off."""

import os

os.environ["DEBUG"] = "true"

from config.settings import *  # noqa: E402,F403
