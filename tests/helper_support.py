"""Support for the credential-helper tests: profiles written through the store exactly as
`truto login` writes them (Profiles.edit().save_profile, in a subprocess with the test's environment),
and real `git credential` runs with only our helper configured."""

import json
import subprocess
import sys

_SAVE = r"""
import json, sys
from truto_credential_helper.profiles import Profiles
name, settings, secrets, active = json.loads(sys.argv[1])
with Profiles().edit() as e:
    e.save_profile(name, settings, secrets)
    if active:
        e.set_active(name)
"""


def save_profile(env, name, api_url, token, active=False, **settings):
    """A profile as `truto login --profile-name NAME --api-url URL --token TOKEN` leaves it."""
    settings = {"apiUrl": api_url, **settings}
    done = subprocess.run(
        [sys.executable, "-c", _SAVE, json.dumps([name, settings, {"apiToken": token}, active])],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def git_credential(run, action, text, *config, env=None):
    """`git credential ACTION` with our helper as the only one (an empty value resets git's list)."""
    argv = ["git", "-c", "credential.helper=", "-c", "credential.helper=truto"]
    for item in config:
        argv += ["-c", item]
    return run(*argv, "credential", action, input=text, env=env)


def request(**attrs):
    return "".join(f"{k}={v}\n" for k, v in attrs.items()) + "\n"


def attributes(output):
    """git's key=value output as a dict (last value wins)."""
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


def secrets_of(config_dir):
    """{keyring user name: secret} of this test's config directory's items in the real Secret Service."""
    import os

    from conftest import keyring_items

    service = f"truto:{os.path.abspath(config_dir)}"
    return {user: secret for svc, user, secret in keyring_items(service) if svc == service}
