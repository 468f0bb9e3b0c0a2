"""`cica demo`: the Secretariat's work of October 2022 (the seed documents) loaded into a running
system through its public HTTP APIs only, safe to run again (see `shared.system.demo.scenario`)."""

from shared.system.demo.client import DEFAULT_URLS, DemoClient, DemoError
from shared.system.demo.scenario import run_demo

__all__ = ["DEFAULT_URLS", "DemoClient", "DemoError", "run_demo"]
